import DataLoader from 'dataloader';
import { KnownLoader } from '../known-loader.js';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import type { PolicyName } from '../policy/index.js';
import { findAccountsByIds, findPrincipalsByIds, findTrustByRoleIds } from './identity.repository.js';
import type { AccountRow, PrincipalView } from './identity.table.js';

export function createIdentityLoaders(db: DB) {
  const principalById = new KnownLoader<string, PrincipalView | null>(async (ids) =>
    oneByKey(ids, await findPrincipalsByIds(db, ids), (row) => row.id),
  );
  const trustByRoleId = new DataLoader<string, Array<{ user_id: string; created_at: Date }>>(async (ids) =>
    byKey(ids, await findTrustByRoleIds(db, ids), (row) => row.role_id),
  );
  return {
    accountById: new DataLoader<string, AccountRow | null>(async (ids) => oneByKey(ids, await findAccountsByIds(db, ids), (row) => row.id)),
    principalById,
    /** Policies come with the principal (one batched statement for both). */
    policiesByPrincipalId: {
      load: async (id: string): Promise<PolicyName[]> => ((await principalById.load(id))?.policies ?? []) as PolicyName[],
    },
    trustedUserIdsByRoleId: {
      load: async (roleId: string): Promise<string[]> => (await trustByRoleId.load(roleId)).map((row) => row.user_id),
    },
    /** Each trusted user with when the trust began: a role session assumed before it has ended. */
    trustByRoleId,
  };
}
