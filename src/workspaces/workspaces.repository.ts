import type { Joined } from '../relay/connection.js';
import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { revive, type JsonRow } from '../db/json-rows.js';
import { API_KEY_DATE_COLUMNS, type ApiKeyRow } from '../api-keys/api-keys.table.js';
import type { DB } from '../db/database.js';
import { pairIn } from '../db/row-comparisons.js';
import type { ListFilter } from '../policy/index.js';
import { principalAsJson, principalFromJson } from '../identity/identity.repository.js';
import type { PrincipalView } from '../identity/identity.table.js';
import { newId } from '../ids.js';
import type { Page, Region } from '../policy/index.js';
import { creationPage, type PageRequest } from '../relay/connection.js';
import { MEMBERSHIP_DATE_COLUMNS, type MembershipRow, type WorkspaceRow } from './workspaces.table.js';

export const findWorkspacesByIds = (db: DB, ids: readonly string[]) =>
  db.selectFrom('workspace').selectAll().where('id', 'in', ids).execute();

export const findActivation = (db: DB, accountId: string, region: Region) =>
  db.selectFrom('region_activation').selectAll().where('account_id', '=', accountId).where('region', '=', region).executeTakeFirst();

export const findDefaultWorkspace = (db: DB, accountId: string, region: Region) =>
  db
    .selectFrom('workspace')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('region', '=', region)
    .where('kind', '=', 'DEFAULT')
    .executeTakeFirst();

export async function insertActivation(db: DB, accountId: string, region: Region, activatedBy: string) {
  await db.insertInto('region_activation').values({ account_id: accountId, region, activated_by: activatedBy }).execute();
}

export const insertWorkspace = (db: DB, row: { accountId: string; region: Region; kind: 'DEFAULT' | 'SUB'; name: string }) =>
  db
    .insertInto('workspace')
    .values({ id: newId('workspace'), account_id: row.accountId, region: row.region, kind: row.kind, name: row.name })
    .returningAll()
    .executeTakeFirstOrThrow();

export const renameWorkspace = (db: DB, id: string, name: string) =>
  db.updateTable('workspace').set({ name }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

/** The account's workspaces the caller sees (`visible`), in a region or all. */
function visibleWorkspaces(db: DB, accountId: string, region: Region | null, visible: ListFilter) {
  let query = db.selectFrom('workspace').where('workspace.account_id', '=', accountId);
  if (region) query = query.where('workspace.region', '=', region);
  if (visible.kind === 'WORKSPACE') query = query.where('workspace.id', '=', visible.workspaceId);
  if (visible.kind === 'MEMBER') {
    const memberId = visible.principalId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('membership')
          .select(sql`1`.as('one'))
          .whereRef('membership.workspace_id', '=', 'workspace.id')
          .where('membership.principal_id', '=', memberId),
      ),
    );
  }
  return query;
}

export async function listWorkspaces(
  db: DB,
  accountId: string,
  region: Region | null,
  visible: ListFilter,
  page: PageRequest,
): Promise<WorkspaceRow[]> {
  const query = visibleWorkspaces(db, accountId, region, visible).selectAll('workspace');
  return creationPage(query, page, ['workspace.created_at', 'workspace.id']).execute();
}

/** How many workspaces `listWorkspaces` pages through (at most 20 an account). */
export async function countWorkspaces(db: DB, accountId: string, region: Region | null, visible: ListFilter): Promise<number> {
  const { count } = await visibleWorkspaces(db, accountId, region, visible)
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('count'))
    .executeTakeFirstOrThrow();
  return count;
}

/** Memberships by (workspace, principal) pairs, for the policy's facts. */
export async function findMemberships(db: DB, pairs: ReadonlyArray<readonly [string, string]>): Promise<MembershipRow[]> {
  if (pairs.length === 0) return [];
  return db
    .selectFrom('membership')
    .selectAll()
    .where(pairIn(['workspace_id', 'principal_id'], pairs))
    .execute();
}

export const findMembershipsByPrincipalIds = (db: DB, principalIds: readonly string[]) =>
  db.selectFrom('membership').selectAll().where('principal_id', 'in', principalIds).orderBy('created_at').orderBy('workspace_id').execute();

/** A page's member: its membership, its principal, and, when asked, its live keys in the workspace (oldest first). */
export interface ListedMember extends Joined<MembershipRow, PrincipalView> {
  apiKeys: ApiKeyRow[] | null;
}

/**
 * A page of members, each with its principal and, with `withApiKeys`, its keys: one statement for
 * the whole page, assembled by PostgreSQL as one JSON array (src/db/json-rows.ts).
 */
export async function listMembers(db: DB, workspaceId: string, page: PageRequest, withApiKeys: boolean): Promise<ListedMember[]> {
  const members = db
    .selectFrom('membership')
    .innerJoin('principal', 'principal.id', 'membership.principal_id')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .selectAll('membership')
    .select(principalAsJson.as('principal'))
    .$if(withApiKeys, (query) =>
      query.select((eb) =>
        jsonArrayFrom(
          eb
            .selectFrom('api_key')
            .selectAll('api_key')
            .whereRef('api_key.workspace_id', '=', 'membership.workspace_id')
            .whereRef('api_key.owner_id', '=', 'membership.principal_id')
            .where('api_key.deleted_at', 'is', null)
            .orderBy('api_key.created_at')
            .orderBy('api_key.id'),
        ).as('api_keys'),
      ),
    )
    .where('membership.workspace_id', '=', workspaceId);
  const { rows } = await db
    .selectNoFrom(jsonArrayFrom(creationPage(members, page, ['membership.created_at', 'membership.principal_id'])).as('rows'))
    .executeTakeFirstOrThrow();
  return (rows as unknown as JsonMember[]).map(({ principal, api_keys, ...membership }) => ({
    node: revive(membership, MEMBERSHIP_DATE_COLUMNS),
    joined: principalFromJson(principal),
    apiKeys: api_keys ? api_keys.map((key) => revive(key, API_KEY_DATE_COLUMNS)) : null,
  }));
}

/** A row of `listMembers`' JSON array. */
type JsonMember = JsonRow<MembershipRow> & { principal: JsonRow<PrincipalView>; api_keys?: Array<JsonRow<ApiKeyRow>> };

export const countMembersByWorkspaceIds = (db: DB, workspaceIds: readonly string[]) =>
  db
    .selectFrom('membership')
    .select(['workspace_id', (eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('count')])
    .where('workspace_id', 'in', workspaceIds)
    .groupBy('workspace_id')
    .execute();

/** Adds the member if needed and replaces its page permissions; the last writer wins cleanly. */
export const upsertMembership = (db: DB, row: { accountId: string; workspaceId: string; principalId: string; pages: Page[] }) =>
  db
    .insertInto('membership')
    .values({ account_id: row.accountId, workspace_id: row.workspaceId, principal_id: row.principalId, pages: row.pages })
    .onConflict((oc) => oc.columns(['workspace_id', 'principal_id']).doUpdateSet({ pages: row.pages, updated_at: sql`now()` }))
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteMembership = (db: DB, workspaceId: string, principalId: string) =>
  db.deleteFrom('membership').where('workspace_id', '=', workspaceId).where('principal_id', '=', principalId).executeTakeFirst();
