import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import { findByWorkspaceModel, findFineTunedModelsByWorkspaceIds, findModelsByIds } from './models.repository.js';
import type { ModelAuthorizationRow, ModelRateLimitRow, ModelRow } from './models.table.js';

/** Key of a per-workspace model row: `${workspaceId}/${modelId}`. */
export const workspaceModelKey = (workspaceId: string, modelId: string) => `${workspaceId}/${modelId}`;
const splitKey = (key: string) => {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)] as const;
};

/** The row of a per-(workspace, model) table for each key. */
const perWorkspaceModel = <Row extends { workspace_id: string; model_id: string }>(
  db: DB,
  table: 'model_authorization' | 'model_rate_limit',
) =>
  new DataLoader<string, Row | null>(async (keys) => {
    const rows = await findByWorkspaceModel<Row>(db, table, keys.map(splitKey));
    return oneByKey(keys, rows, (row) => workspaceModelKey(row.workspace_id, row.model_id));
  });

export function createModelLoaders(db: DB) {
  return {
    modelById: new DataLoader<string, ModelRow | null>(async (ids) => oneByKey(ids, await findModelsByIds(db, ids), (row) => row.id)),
    fineTunedModelsByWorkspaceId: new DataLoader<string, ModelRow[]>(async (ids) =>
      byKey(ids, await findFineTunedModelsByWorkspaceIds(db, ids), (row) => row.workspace_id ?? ''),
    ),
    modelAuthorization: perWorkspaceModel<ModelAuthorizationRow>(db, 'model_authorization'),
    modelRateLimit: perWorkspaceModel<ModelRateLimitRow>(db, 'model_rate_limit'),
  };
}
