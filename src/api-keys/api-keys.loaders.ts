import DataLoader from 'dataloader';
import { KnownLoader } from '../known-loader.js';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import { findLiveApiKeysByIds, findLiveApiKeysByWorkspaceOwners } from './api-keys.repository.js';
import type { ApiKeyRow } from './api-keys.table.js';

/** The key of `apiKeysByWorkspaceOwner`: an owner's live keys in a workspace. */
export const apiKeysKey = (workspaceId: string, ownerId: string) => `${workspaceId}/${ownerId}`;

export function createApiKeyLoaders(db: DB) {
  return {
    apiKeyById: new DataLoader<string, ApiKeyRow | null>(async (ids) =>
      oneByKey(ids, await findLiveApiKeysByIds(db, ids), (row) => row.id),
    ),
    /** Key: `apiKeysKey(workspaceId, ownerId)`. */
    apiKeysByWorkspaceOwner: new KnownLoader<string, ApiKeyRow[]>(async (keys) => {
      const rows = await findLiveApiKeysByWorkspaceOwners(
        db,
        keys.map((key) => key.split('/') as [string, string]),
      );
      return byKey(keys, rows, (row) => apiKeysKey(row.workspace_id, row.owner_id));
    }),
  };
}
