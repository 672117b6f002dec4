import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import type { PolicyName } from '../policy/index.js';
import {
  findAccountsByIds,
  findPoliciesByPrincipalIds,
  findPrincipalsByIds,
  findTrustByRoleIds,
} from './identity.repository.js';
import type { AccountRow, PrincipalRow } from './identity.table.js';

export function createIdentityLoaders(db: DB) {
  return {
    accountById: new DataLoader<string, AccountRow | null>(async (ids) =>
      oneByKey(ids, await findAccountsByIds(db, ids), (row) => row.id),
    ),
    principalById: new DataLoader<string, PrincipalRow | null>(async (ids) =>
      oneByKey(ids, await findPrincipalsByIds(db, ids), (row) => row.id),
    ),
    policiesByPrincipalId: new DataLoader<string, PolicyName[]>(async (ids) =>
      byKey(ids, await findPoliciesByPrincipalIds(db, ids), (row) => row.principal_id).map((rows) =>
        rows.map((row) => row.policy as PolicyName),
      ),
    ),
    trustedUserIdsByRoleId: new DataLoader<string, string[]>(async (ids) =>
      byKey(ids, await findTrustByRoleIds(db, ids), (row) => row.role_id).map((rows) => rows.map((row) => row.user_id)),
    ),
  };
}
