import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import type { PolicyName } from '../policy/index.js';
import { findAccountsByIds, findPrincipalsByIds, findTrustByRoleIds } from './identity.repository.js';
import type { AccountRow, PrincipalView } from './identity.table.js';

export function createIdentityLoaders(db: DB) {
  const principalById = new DataLoader<string, PrincipalView | null>(async (ids) =>
    oneByKey(ids, await findPrincipalsByIds(db, ids), (row) => row.id),
  );
  return {
    accountById: new DataLoader<string, AccountRow | null>(async (ids) => oneByKey(ids, await findAccountsByIds(db, ids), (row) => row.id)),
    principalById,
    /** Policies come with the principal (one batched statement for both). */
    policiesByPrincipalId: {
      load: async (id: string): Promise<PolicyName[]> => ((await principalById.load(id))?.policies ?? []) as PolicyName[],
    },
    trustedUserIdsByRoleId: new DataLoader<string, string[]>(async (ids) =>
      byKey(ids, await findTrustByRoleIds(db, ids), (row) => row.role_id).map((rows) => rows.map((row) => row.user_id)),
    ),
  };
}
