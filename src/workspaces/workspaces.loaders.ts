import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { byKey, oneByKey } from '../db/group-rows.js';
import {
  countMembersByWorkspaceIds,
  findMemberships,
  findMembershipsByPrincipalIds,
  findWorkspacesByIds,
} from './workspaces.repository.js';
import type { MembershipRow, WorkspaceRow } from './workspaces.table.js';

/** Key of a membership: `${workspaceId}/${principalId}`. */
export const membershipKey = (workspaceId: string, principalId: string) => `${workspaceId}/${principalId}`;

export function createWorkspaceLoaders(db: DB) {
  return {
    workspaceById: new DataLoader<string, WorkspaceRow | null>(async (ids) =>
      oneByKey(ids, await findWorkspacesByIds(db, ids), (row) => row.id),
    ),
    membership: new DataLoader<string, MembershipRow | null>(async (keys) => {
      const pairs = keys.map((key) => key.split('/') as [string, string]);
      const rows = await findMemberships(db, pairs);
      return oneByKey(keys, rows, (row) => membershipKey(row.workspace_id, row.principal_id));
    }),
    membershipsByPrincipalId: new DataLoader<string, MembershipRow[]>(async (ids) =>
      byKey(ids, await findMembershipsByPrincipalIds(db, ids), (row) => row.principal_id),
    ),
    memberCountByWorkspaceId: new DataLoader<string, number>(async (ids) =>
      oneByKey(ids, await countMembersByWorkspaceIds(db, ids), (row) => row.workspace_id).map((row) => row?.count ?? 0),
    ),
  };
}
