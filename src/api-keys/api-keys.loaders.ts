import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { oneByKey } from '../db/group-rows.js';
import { findLiveApiKeysByIds } from './api-keys.repository.js';
import type { ApiKeyRow } from './api-keys.table.js';

export function createApiKeyLoaders(db: DB) {
  return {
    apiKeyById: new DataLoader<string, ApiKeyRow | null>(async (ids) =>
      oneByKey(ids, await findLiveApiKeysByIds(db, ids), (row) => row.id),
    ),
  };
}
