import { audited } from '../audit/audited.js';
import { changesBetween } from '../audit/changes.js';
import type { SignedInContext } from '../context.js';
import { uniqueViolation } from '../db/errors.js';
import { conflict, notFound } from '../errors.js';
import * as validate from '../validation.js';
import * as repo from './knowledge-bases.repository.js';

/** What a knowledge base's events record (src/audit/changes.ts). */
const KNOWLEDGE_BASE_FIELDS = ['name', 'description', 'workspace'];

export async function createKnowledgeBase(ctx: SignedInContext, input: { workspaceId: string; name: string; description?: string | null }) {
  const name = validate.resourceName('input.name', input.name);
  const description = validate.description('input.description', input.description);
  const actor = ctx.auth.principal;
  try {
    return await audited(
      ctx,
      'createKnowledgeBase',
      (trx) =>
        repo.insertKnowledgeBase(trx, {
          account_id: actor.account_id,
          workspace_id: input.workspaceId,
          name,
          description,
          created_by: actor.id,
        }),
      (kb) => ({ resourceId: kb.id, changes: changesBetween(null, kb, KNOWLEDGE_BASE_FIELDS) }),
    );
  } catch (error) {
    if (uniqueViolation(error) === 'knowledge_base_name_key') {
      throw conflict('A knowledge base with this name already exists in the workspace', 'input.name');
    }
    throw error;
  }
}

export const deleteKnowledgeBase = (ctx: SignedInContext, id: string) =>
  audited(
    ctx,
    'deleteKnowledgeBase',
    async (trx) => {
      const kb = await repo.deleteKnowledgeBase(trx, id);
      if (!kb) throw notFound('Knowledge base');
      return kb;
    },
    (kb) => ({ resourceId: kb.id, changes: changesBetween(kb, null, KNOWLEDGE_BASE_FIELDS) }),
  );
