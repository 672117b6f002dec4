import { takeSlot } from '../db/slots.js';
import { newApiKeySecret } from '../auth/api-key-secret.js';
import { audited } from '../audit/audited.js';
import type { SignedInContext } from '../context.js';
import { checkViolation } from '../db/errors.js';
import { badUserInput, conflict, unauthenticated } from '../errors.js';
import { lockPrincipal } from '../identity/identity.repository.js';
import { workspaceModelKey } from '../models/models.loaders.js';
import { visibleModel } from '../models/models.service.js';
import { parseCidr } from '../policy/index.js';
import * as validate from '../validation.js';
import * as repo from './api-keys.repository.js';
import type { ApiKeyRow } from './api-keys.table.js';
import { mustExist } from '../db/must-exist.js';

export interface CreatedApiKeyResult {
  apiKey: ApiKeyRow;
  secret: string;
}

const KEY_LIMIT = 'A workspace has at most 20 API keys';
const OWNER_GONE = 'The session is no longer valid: the principal is disabled or deleted';

/** Each scoped model must already be callable in the workspace (docs/domain.md). */
async function validateModelScope(ctx: SignedInContext, workspaceId: string, models: readonly string[]): Promise<string[]> {
  const unique = [...new Set(models)];
  if (unique.length > 30) throw badUserInput('input.modelScope', 'must list at most 30 models');
  const workspace = mustExist(await ctx.loaders.workspaceById.load(workspaceId), 'workspace');
  await Promise.all(
    unique.map(async (id, index) => {
      const field = `input.modelScope[${index}]`;
      const model = await visibleModel(ctx, id, field).catch(() => {
        throw badUserInput(field, `no model named ${id}`);
      });
      const authorization = await ctx.loaders.modelAuthorization.load(workspaceModelKey(workspaceId, model.id));
      const callable = model.workspace_id
        ? model.workspace_id === workspaceId
        : workspace.kind === 'DEFAULT' || workspace.all_models_open || authorization?.inference === true;
      if (!callable) throw badUserInput(field, `${model.id} is not callable in this workspace`);
    }),
  );
  return unique;
}

function validateAllowlist(entries: readonly string[]): string[] {
  if (entries.length > 20) throw badUserInput('input.ipAllowlist', 'must list at most 20 CIDRs');
  return [
    ...new Set(
      entries.map((entry, index) => {
        const cidr = parseCidr(entry);
        if (!cidr) throw badUserInput(`input.ipAllowlist[${index}]`, 'is not an IPv4 or IPv6 address or CIDR');
        return `${cidr.address}/${cidr.prefix}`;
      }),
    ),
  ];
}

export async function createApiKey(
  ctx: SignedInContext,
  input: {
    workspaceId: string;
    description?: string | null;
    modelScope?: readonly string[] | null;
    ipAllowlist?: readonly string[] | null;
  },
): Promise<CreatedApiKeyResult> {
  const description = validate.description('input.description', input.description);
  const ipAllowlist = validateAllowlist(input.ipAllowlist ?? []);
  const modelScope = await validateModelScope(ctx, input.workspaceId, input.modelScope ?? []);
  const owner = ctx.auth.principal;
  const { secret, prefix, hash } = newApiKeySecret();
  try {
    const apiKey = await audited(
      ctx,
      'createApiKey',
      async (trx) => {
        // The owner is the caller: one disabled or deleted since the request began gets no key.
        if ((await lockPrincipal(trx, owner.id))?.status !== 'ACTIVE') throw unauthenticated(OWNER_GONE);
        if (!(await takeSlot(trx, 'workspace', input.workspaceId))) throw conflict(KEY_LIMIT);
        return repo.insertApiKey(trx, {
          account_id: owner.account_id,
          workspace_id: input.workspaceId,
          owner_id: owner.id,
          description,
          secret_prefix: prefix,
          secret_hash: hash,
          model_scope: modelScope,
          ip_allowlist: ipAllowlist,
        });
      },
      (key) => ({ resourceId: key.id }),
    );
    return { apiKey, secret };
  } catch (error) {
    if (checkViolation(error) === 'workspace_api_key_count_check') throw conflict(KEY_LIMIT);
    throw error;
  }
}

export async function deleteApiKey(ctx: SignedInContext, id: string): Promise<ApiKeyRow> {
  return audited(
    ctx,
    'deleteApiKey',
    async (trx) => {
      const key = await repo.deleteApiKey(trx, id);
      // Lost a race with another deletion: the key is gone either way.
      if (!key) throw badUserInput('id', 'the API key is already deleted');
      return key;
    },
    (key) => ({ resourceId: key.id }),
  );
}
