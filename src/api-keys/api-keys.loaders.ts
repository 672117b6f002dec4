import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import { findLiveApiKeysByIds, findLiveApiKeysByWorkspaceOwners } from './api-keys.repository.js';
import type { ApiKeyRow } from './api-keys.table.js';

export function createApiKeyLoaders(db: DB) {
  return {
    apiKeyById: new DataLoader<string, ApiKeyRow | null>(async (ids) =>
      oneByKey(ids, await findLiveApiKeysByIds(db, ids), (row) => row.id),
    ),
    /** Key: `${workspaceId}/${ownerId}`. */
    apiKeysByWorkspaceOwner: new DataLoader<string, ApiKeyRow[]>(async (keys) => {
      const rows = await findLiveApiKeysByWorkspaceOwners(
        db,
        keys.map((key) => key.split('/') as [string, string]),
      );
      return byKey(keys, rows, (row) => `${row.workspace_id}/${row.owner_id}`);
    }),
  };
}
