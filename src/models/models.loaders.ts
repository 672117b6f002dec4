import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import { findAuthorizations, findFineTunedModelsByWorkspaceIds, findModelsByIds, findRateLimits } from './models.repository.js';
import type { ModelAuthorizationRow, ModelRateLimitRow, ModelRow } from './models.table.js';

/** Key of a per-workspace model row: `${workspaceId}/${modelId}`. */
export const workspaceModelKey = (workspaceId: string, modelId: string) => `${workspaceId}/${modelId}`;
const splitKey = (key: string) => {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)] as const;
};

export function createModelLoaders(db: DB) {
  return {
    modelById: new DataLoader<string, ModelRow | null>(async (ids) => oneByKey(ids, await findModelsByIds(db, ids), (row) => row.id)),
    fineTunedModelsByWorkspaceId: new DataLoader<string, ModelRow[]>(async (ids) =>
      byKey(ids, await findFineTunedModelsByWorkspaceIds(db, ids), (row) => row.workspace_id ?? ''),
    ),
    modelAuthorization: new DataLoader<string, ModelAuthorizationRow | null>(async (keys) =>
      oneByKey(keys, await findAuthorizations(db, keys.map(splitKey)), (row) => workspaceModelKey(row.workspace_id, row.model_id)),
    ),
    modelRateLimit: new DataLoader<string, ModelRateLimitRow | null>(async (keys) =>
      oneByKey(keys, await findRateLimits(db, keys.map(splitKey)), (row) => workspaceModelKey(row.workspace_id, row.model_id)),
    ),
  };
}
