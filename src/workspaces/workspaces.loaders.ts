import DataLoader from 'dataloader';
import { KnownLoader } from '../known-loader.js';
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

/**
 * Principals whose every membership the request already read (the caller's, with its
 * authentication): the `membership` loader answers for them, a missing one included, without a
 * query. Forgotten with the loaders after a committed change.
 */
class KnownMemberships {
  readonly #byPrincipal = new Map<string, Map<string, MembershipRow>>();

  set(principalId: string, memberships: readonly MembershipRow[]): void {
    this.#byPrincipal.set(principalId, new Map(memberships.map((row) => [row.workspace_id, row])));
  }

  /** The membership, null when there is none, undefined when this principal's are not known. */
  find(workspaceId: string, principalId: string): MembershipRow | null | undefined {
    const known = this.#byPrincipal.get(principalId);
    return known && (known.get(workspaceId) ?? null);
  }

  clearAll(): void {
    this.#byPrincipal.clear();
  }
}

export function createWorkspaceLoaders(db: DB) {
  const knownMemberships = new KnownMemberships();
  const membershipsByPrincipalId = new DataLoader<string, MembershipRow[]>(async (ids) =>
    byKey(ids, await findMembershipsByPrincipalIds(db, ids), (row) => row.principal_id),
  );
  return {
    workspaceById: new KnownLoader<string, WorkspaceRow | null>(async (ids) =>
      oneByKey(ids, await findWorkspacesByIds(db, ids), (row) => row.id),
    ),
    knownMemberships,
    membership: new DataLoader<string, MembershipRow | null>(async (keys) => {
      const pairs = keys.map((key) => key.split('/') as [string, string]);
      const unknown = pairs.filter(([workspaceId, principalId]) => knownMemberships.find(workspaceId, principalId) === undefined);
      const rows = unknown.length ? await findMemberships(db, unknown) : [];
      const found = new Map(rows.map((row) => [membershipKey(row.workspace_id, row.principal_id), row]));
      return pairs.map(
        ([workspaceId, principalId]) =>
          knownMemberships.find(workspaceId, principalId) ?? found.get(membershipKey(workspaceId, principalId)) ?? null,
      );
    }),
    membershipsByPrincipalId,
    /** Tells the loaders all of a principal's memberships (read with its authentication). */
    knowMembershipsOf(principalId: string, memberships: MembershipRow[]): void {
      knownMemberships.set(principalId, memberships);
      membershipsByPrincipalId.prime(principalId, memberships);
    },
    memberCountByWorkspaceId: new DataLoader<string, number>(async (ids) =>
      oneByKey(ids, await countMembersByWorkspaceIds(db, ids), (row) => row.workspace_id).map((row) => row?.count ?? 0),
    ),
  };
}
