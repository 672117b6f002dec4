import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { oneByKey } from '../db/group-rows.js';
import { findKnowledgeBasesByIds } from './knowledge-bases.repository.js';
import type { KnowledgeBaseRow } from './knowledge-bases.table.js';

export function createKnowledgeBaseLoaders(db: DB) {
  return {
    knowledgeBaseById: new DataLoader<string, KnowledgeBaseRow | null>(async (ids) =>
      oneByKey(ids, await findKnowledgeBasesByIds(db, ids), (row) => row.id),
    ),
  };
}
