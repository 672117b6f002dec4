import type { DB } from '../db/database.js';
import { newId } from '../ids.js';
import { creationPage, type PageRequest } from '../relay/connection.js';
import type { KnowledgeBaseRow } from './knowledge-bases.table.js';

export const findKnowledgeBasesByIds = (db: DB, ids: readonly string[]) =>
  db.selectFrom('knowledge_base').selectAll().where('id', 'in', ids).execute();

export async function listKnowledgeBases(db: DB, workspaceId: string, page: PageRequest): Promise<KnowledgeBaseRow[]> {
  const query = db.selectFrom('knowledge_base').selectAll().where('workspace_id', '=', workspaceId);
  return creationPage(query, page, ['created_at', 'id']).execute();
}

export const insertKnowledgeBase = (
  db: DB,
  row: Pick<KnowledgeBaseRow, 'account_id' | 'workspace_id' | 'name' | 'description' | 'created_by'>,
) =>
  db
    .insertInto('knowledge_base')
    .values({ id: newId('knowledgeBase'), ...row })
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteKnowledgeBase = (db: DB, id: string) =>
  db.deleteFrom('knowledge_base').where('id', '=', id).returningAll().executeTakeFirst();
