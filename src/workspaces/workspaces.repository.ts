import type { Joined } from '../relay/connection.js';
import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { revive, type JsonRow } from '../db/json-rows.js';
import { allColumns } from '../db/columns.js';
import { mustExist } from '../db/must-exist.js';
import { API_KEY_DATE_COLUMNS, type ApiKeyRow } from '../api-keys/api-keys.table.js';
import type { DB } from '../db/database.js';
import { pairIn } from '../db/row-comparisons.js';
import type { ListFilter } from '../policy/index.js';
import { principalAsJson, principalFromJson } from '../identity/identity.repository.js';
import type { PrincipalView } from '../identity/identity.table.js';
import { newId } from '../ids.js';
import type { Page, Region } from '../policy/index.js';
import { creationPage, type PageRequest } from '../relay/connection.js';
import { executePrepared } from '../db/prepared-statements.js';
import { creationPositions, pageStatement } from '../relay/page-statements.js';
import { MEMBERSHIP_DATE_COLUMNS, type MembershipRow, type WorkspaceRow } from './workspaces.table.js';

const WORKSPACE_COLUMNS = allColumns<WorkspaceRow>()(
  'id',
  'account_id',
  'region',
  'kind',
  'name',
  'all_models_open',
  'api_key_count',
  'created_at',
);

export const findWorkspacesByIds = (db: DB, ids: readonly string[]) =>
  executePrepared(db, 'workspaces_by_ids', db.selectFrom('workspace').select(WORKSPACE_COLUMNS).where('id', 'in', ids));

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
  const [answer] = await membersPage(db, { workspaceId, withApiKeys }, page, creationPositions(page));
  return (mustExist(answer, 'the members page JSON').rows as unknown as JsonMember[]).map(({ principal, api_keys, ...membership }) => ({
    node: revive(membership, MEMBERSHIP_DATE_COLUMNS),
    joined: principalFromJson(principal),
    apiKeys: withApiKeys ? (api_keys ?? []).map((key) => revive(key, API_KEY_DATE_COLUMNS)) : null,
  }));
}

// One JSON value: its result cannot change shape, whatever a migration adds to the tables.
const membersPage = pageStatement(
  'members_page',
  ['membership.created_at', 'membership.principal_id'],
  (db: DB, { workspaceId, withApiKeys }: { workspaceId: string; withApiKeys: boolean }, paged) => {
    // The workspace's live keys (20 at most) grouped by owner once, not looked up member by member.
    const keysByOwner = db
      .selectFrom('api_key as key')
      .select(['key.owner_id', sql<Array<JsonRow<ApiKeyRow>>>`json_agg(key order by key.created_at, key.id)`.as('api_keys')])
      .where('key.workspace_id', '=', workspaceId)
      .where('key.deleted_at', 'is', null)
      // A parameter, not two texts: the same prepared statement serves both.
      .where(sql<boolean>`${withApiKeys}`)
      .groupBy('key.owner_id')
      .as('keys');
    // Each member's principal looked up by its key. The fence (`offset 0`) keeps the planner from
    // joining the tables wholesale: a generic plan expects a workspace's average handful of members,
    // and for a large workspace of a small account it chose to rescan every principal per member.
    const members = db
      .selectFrom('membership')
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom('principal')
            .innerJoin('account', 'account.id', 'principal.account_id')
            .select(principalAsJson.as('principal'))
            .whereRef('principal.id', '=', 'membership.principal_id')
            .offset(0)
            .as('joined'),
        (join) => join.onTrue(),
      )
      .leftJoin(keysByOwner, 'keys.owner_id', 'membership.principal_id')
      .selectAll('membership')
      .select(['joined.principal', 'keys.api_keys'])
      .where('membership.workspace_id', '=', workspaceId);
    return db.selectNoFrom(jsonArrayFrom(paged(members)).as('rows'));
  },
);

/** A row of `listMembers`' JSON array. */
type JsonMember = JsonRow<MembershipRow> & { principal: JsonRow<PrincipalView>; api_keys: Array<JsonRow<ApiKeyRow>> | null };

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
