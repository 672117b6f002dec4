import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import { findAccessKeysByIds, findAccessKeysByPrincipalIds } from './access-keys.repository.js';
import type { AccessKeyRow } from './access-keys.table.js';

export function createAccessKeyLoaders(db: DB) {
  return {
    accessKeyById: new DataLoader<string, AccessKeyRow | null>(async (ids) =>
      oneByKey(ids, await findAccessKeysByIds(db, ids), (row) => row.id),
    ),
    accessKeysByPrincipalId: new DataLoader<string, AccessKeyRow[]>(async (ids) =>
      byKey(ids, await findAccessKeysByPrincipalIds(db, ids), (row) => row.principal_id),
    ),
  };
}
