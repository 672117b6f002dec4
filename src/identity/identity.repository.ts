import { sql, type RawBuilder } from 'kysely';
import { jsonBuildObject } from 'kysely/helpers/postgres';
import { revive, type JsonRow } from '../db/json-rows.js';
import { executePrepared, preparedStatement } from '../db/prepared-statements.js';
import type { DB } from '../db/database.js';
import { coalesced, rowsByInput, type SharedReads } from '../db/coalesced-statements.js';
import { newId } from '../ids.js';
import type { PolicyName } from '../policy/index.js';
import { creationPage, type PageRequest } from '../relay/connection.js';
import {
  PRINCIPAL_DATE_COLUMNS,
  type AccountRow,
  type PrincipalKind,
  type PrincipalRow,
  type PrincipalStatus,
  type PrincipalView,
} from './identity.table.js';
import { membershipsFromJson, membershipsOfPrincipalAsJson } from '../workspaces/caller-memberships.js';
import type { MembershipRow } from '../workspaces/workspaces.table.js';

export async function insertAccount(
  db: DB,
  input: { name: string; email: string; passwordHash: string },
): Promise<{ account: AccountRow; root: PrincipalRow }> {
  const account = await db
    .insertInto('account')
    .values({ id: newId('account'), name: input.name, email: input.email })
    .returningAll()
    .executeTakeFirstOrThrow();
  const root = await db
    .insertInto('principal')
    .values({
      id: newId('root'),
      account_id: account.id,
      kind: 'ROOT',
      name: input.name,
      display_name: input.name,
      description: null,
      password_hash: input.passwordHash,
      model_studio_registered_at: account.created_at,
      deleted_at: null,
    })
    .returning(PRINCIPAL_COLUMNS)
    .executeTakeFirstOrThrow();
  return { account, root };
}

export const findAccountsByIds = (db: DB, ids: readonly string[]) => db.selectFrom('account').selectAll().where('id', 'in', ids).execute();

/** A principal's policies, as one array (empty when none). */
const policiesOfPrincipal = sql<
  string[]
>`coalesce((select array_agg(pa.policy order by pa.policy) from policy_attachment pa where pa.principal_id = principal.id), '{}'::text[])`;

/**
 * Principals with what every request asks of them next: their policies and their account's
 * name (login names). One statement instead of three on the authentication path.
 */
export const findPrincipalsByIds = (db: DB, ids: readonly string[]): Promise<PrincipalView[]> =>
  executePrepared(db, 'principals_by_ids', principalViews(db).where('principal.id', 'in', ids));

const principalViews = (db: DB) =>
  db
    .selectFrom('principal')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .select(PRINCIPAL_COLUMNS.map((column) => `principal.${column}` as const))
    .select(['account.name as account_name', policiesOfPrincipal.as('policies')]);

/** A principal that authenticates, with every membership it holds (src/workspaces/caller-memberships.ts). */
export interface Caller {
  principal: PrincipalView;
  memberships: MembershipRow[];
}

/** Compiled once: every session request runs it, with concurrent sessions' principals (`sessionCallers`). */
const callers = preparedStatement('session_callers', (db: DB, { ids }: { ids: readonly string[] }) =>
  principalViews(db).select(membershipsOfPrincipalAsJson(db).as('memberships')).where(sql<boolean>`principal.id = any(${ids}::text[])`),
);

/**
 * The principals of concurrent sessions, read together (`coalesced`). A request gets rows of its
 * own: one another request also asked for is copied, so that no two requests share an object.
 */
const sessionCallers = coalesced(async (db: DB, inputs: ReadonlyArray<readonly string[]>) =>
  rowsByInput(inputs, await callers(db, { ids: [...new Set(inputs.flat())] }), (row) => row.id),
);

/**
 * A session's principal and, in a role session, the user who assumed the role: what
 * `findPrincipalsByIds` reads, and their memberships. One statement, shared with concurrent sessions.
 */
export async function findCallers(reads: SharedReads, principalId: string, assumerId: string | null): Promise<Caller[]> {
  const rows = await sessionCallers(reads, assumerId && assumerId !== principalId ? [principalId, assumerId] : [principalId]);
  return rows.map(({ memberships, ...principal }) => ({ principal, memberships: membershipsFromJson(memberships) }));
}

/** What pages and authorization read of a principal: never its password hash (`findPasswordHash`), which only a sign-in needs. */
const PRINCIPAL_COLUMNS = [
  'id',
  'account_id',
  'kind',
  'name',
  'display_name',
  'description',
  'status',
  'model_studio_registered_at',
  'created_at',
  'deleted_at',
  'session_generation',
  'session_kept_id',
] as const;

/**
 * The columns of a joined `principal` (and `account`), prefixed `principal__`, for list
 * queries that bring each row's principal along; `principalFromRow` takes them back out.
 */
export const joinedPrincipalColumns = [
  ...PRINCIPAL_COLUMNS.map((column) => sql.ref(`principal.${column}`).as(`principal__${column}`)),
  sql.ref('account.name').as('principal__account_name'),
  policiesOfPrincipal.as('principal__policies'),
];

const PRINCIPAL_VIEW_COLUMNS = [...PRINCIPAL_COLUMNS, 'account_name', 'policies'] as const;
const JOINED_PRINCIPAL_COLUMNS = PRINCIPAL_VIEW_COLUMNS.map((column) => [column, `principal__${column}`] as const);

export function principalFromRow(row: Record<string, unknown>): PrincipalView {
  const principal: Record<string, unknown> = {};
  for (const [column, joined] of JOINED_PRINCIPAL_COLUMNS) principal[column] = row[joined];
  return principal as unknown as PrincipalView;
}

/**
 * A joined `principal` (and `account`) as one JSON object, for pages read as JSON
 * (src/db/json-rows.ts); `principalFromJson` revives it.
 */
export const principalAsJson = jsonBuildObject({
  ...Object.fromEntries(PRINCIPAL_COLUMNS.map((column) => [column, sql.ref(`principal.${column}`)])),
  account_name: sql.ref('account.name'),
  policies: policiesOfPrincipal,
}) as unknown as RawBuilder<JsonRow<PrincipalView>>;

export const principalFromJson = (principal: JsonRow<PrincipalView>): PrincipalView =>
  revive<PrincipalView>(principal, PRINCIPAL_DATE_COLUMNS);

/** A principal's password hash, read only to check a password. */
export const findPasswordHash = async (db: DB, principalId: string): Promise<string | null> =>
  (await db.selectFrom('principal').select('password_hash').where('id', '=', principalId).executeTakeFirst())?.password_hash ?? null;

/** The root of the account with this e-mail (case-insensitive). */
export const findRootByEmail = (db: DB, email: string) =>
  db
    .selectFrom('principal')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .selectAll('principal')
    .where(sql`lower(account.email)`, '=', email.toLowerCase())
    .where('principal.kind', '=', 'ROOT')
    .executeTakeFirst();

/** A live RAM user by `<name>@<account name>`. */
export const findUserByLoginName = (db: DB, accountName: string, userName: string) =>
  db
    .selectFrom('principal')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .selectAll('principal')
    .where('account.name', '=', accountName)
    .where('principal.kind', '=', 'USER')
    .where(sql`lower(principal.name)`, '=', userName.toLowerCase())
    .where('principal.status', '<>', 'DELETED')
    .executeTakeFirst();

/** Which of an account's principals a list shows (deleted ones never). */
export interface PrincipalFilter {
  kind?: PrincipalKind;
  registeredOnly?: boolean;
  /** Who may be added to this workspace: enabled registered users and roles that are not members of it. */
  candidatesFor?: string;
}

function filteredPrincipals(db: DB, accountId: string, filter: PrincipalFilter) {
  let query = db.selectFrom('principal').where('account_id', '=', accountId).where('status', '<>', 'DELETED');
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.registeredOnly) query = query.where('model_studio_registered_at', 'is not', null);
  if (filter.candidatesFor !== undefined) {
    const workspaceId = filter.candidatesFor;
    query = query
      .where('model_studio_registered_at', 'is not', null)
      .where('kind', '<>', 'ROOT')
      .where('status', '=', 'ACTIVE')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('membership')
              .select('membership.principal_id')
              .where('membership.workspace_id', '=', workspaceId)
              .whereRef('membership.principal_id', '=', 'principal.id'),
          ),
        ),
      );
  }
  return query;
}

export function listPrincipals(db: DB, accountId: string, filter: PrincipalFilter, page: PageRequest): Promise<PrincipalRow[]> {
  return creationPage(filteredPrincipals(db, accountId, filter).select(PRINCIPAL_COLUMNS), page, ['created_at', 'id']).execute();
}

/** How many principals `listPrincipals` pages through (one statement, on the account's index). */
export async function countPrincipals(db: DB, accountId: string, filter: PrincipalFilter): Promise<number> {
  const { count } = await filteredPrincipals(db, accountId, filter)
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('count'))
    .executeTakeFirstOrThrow();
  return count;
}

export const insertPrincipal = (
  db: DB,
  row: {
    kind: 'USER' | 'ROLE';
    accountId: string;
    name: string;
    displayName: string | null;
    description: string | null;
    passwordHash: string | null;
  },
) =>
  db
    .insertInto('principal')
    .values({
      id: newId(row.kind === 'USER' ? 'ramUser' : 'ramRole'),
      account_id: row.accountId,
      kind: row.kind,
      name: row.name,
      display_name: row.displayName,
      description: row.description,
      password_hash: row.passwordHash,
      model_studio_registered_at: null,
      deleted_at: null,
    })
    .returning(PRINCIPAL_COLUMNS)
    .executeTakeFirstOrThrow();

export async function insertRoleTrust(db: DB, accountId: string, roleId: string, userIds: readonly string[]) {
  if (userIds.length === 0) return;
  await db
    .insertInto('role_trust')
    .values(userIds.map((userId) => ({ role_id: roleId, user_id: userId, account_id: accountId })))
    .execute();
}

/**
 * Locks a principal's row until the transaction ends and reads its status: a grant made in
 * that transaction then sees the principal deleted, or its deletion, which updates this row
 * first, waits and removes the grant with the rest. Shared, so grants do not wait on each other.
 */
export const lockPrincipal = (db: DB, id: string) =>
  db.selectFrom('principal').select('status').where('id', '=', id).forShare().executeTakeFirst();

export const setPrincipalStatus = (db: DB, id: string, status: PrincipalStatus) =>
  db
    .updateTable('principal')
    .set({ status, ...(status === 'DELETED' ? { deleted_at: new Date() } : {}) })
    .where('id', '=', id)
    .where('status', '<>', 'DELETED')
    .returning(PRINCIPAL_COLUMNS)
    .executeTakeFirst();

/**
 * What deleting a principal takes with it, in the caller's transaction: memberships,
 * policies and trust go; its API keys are invalidated for ever and free their workspace's slot.
 */
export async function removePrincipalGrants(db: DB, principalId: string): Promise<void> {
  await db.deleteFrom('membership').where('principal_id', '=', principalId).execute();
  await db.deleteFrom('policy_attachment').where('principal_id', '=', principalId).execute();
  await db
    .deleteFrom('role_trust')
    .where((eb) => eb.or([eb('role_id', '=', principalId), eb('user_id', '=', principalId)]))
    .execute();
  const keys = await db
    .updateTable('api_key')
    .set({ deleted_at: new Date() })
    .where('owner_id', '=', principalId)
    .where('deleted_at', 'is', null)
    .returning('workspace_id')
    .execute();
  const perWorkspace = new Map<string, number>();
  for (const key of keys) perWorkspace.set(key.workspace_id, (perWorkspace.get(key.workspace_id) ?? 0) + 1);
  for (const [workspaceId, count] of perWorkspace) {
    await db
      .updateTable('workspace')
      .set((eb) => ({ api_key_count: eb('api_key_count', '-', count) }))
      .where('id', '=', workspaceId)
      .execute();
  }
}

export async function attachPolicy(db: DB, accountId: string, principalId: string, policy: PolicyName) {
  await db
    .insertInto('policy_attachment')
    .values({ principal_id: principalId, policy, account_id: accountId })
    .onConflict((oc) => oc.columns(['principal_id', 'policy']).doNothing())
    .execute();
}

export async function detachPolicy(db: DB, principalId: string, policy: PolicyName) {
  await db.deleteFrom('policy_attachment').where('principal_id', '=', principalId).where('policy', '=', policy).execute();
}

export const findTrustByRoleIds = (db: DB, roleIds: readonly string[]) =>
  db.selectFrom('role_trust').select(['role_id', 'user_id', 'created_at']).where('role_id', 'in', roleIds).execute();

/** Undefined when the principal is deleted (the update waits for a deletion in progress). */
export const registerInModelStudio = (db: DB, principalId: string) =>
  db
    .updateTable('principal')
    .set({ model_studio_registered_at: sql<Date>`coalesce(model_studio_registered_at, now())` })
    .where('id', '=', principalId)
    .where('status', '<>', 'DELETED')
    .returning(PRINCIPAL_COLUMNS)
    .executeTakeFirst();

/**
 * Ends a principal's sessions: tokens of earlier generations are refused from the next request
 * on, except the one `keptSessionId` names. A new password, when given, is set in the same statement.
 */
export const endSessions = (db: DB, principalId: string, change: { keptSessionId: string | null; passwordHash?: string }) =>
  db
    .updateTable('principal')
    .set((eb) => ({
      session_generation: eb('session_generation', '+', 1),
      session_kept_id: change.keptSessionId,
      ...(change.passwordHash ? { password_hash: change.passwordHash } : {}),
    }))
    .where('id', '=', principalId)
    .where('status', '<>', 'DELETED')
    .returning(PRINCIPAL_COLUMNS)
    .executeTakeFirst();

export const setRoleDescription = (db: DB, roleId: string, description: string) =>
  db
    .updateTable('principal')
    .set({ description })
    .where('id', '=', roleId)
    .where('kind', '=', 'ROLE')
    .returning(PRINCIPAL_COLUMNS)
    .executeTakeFirst();

/**
 * Replaces the users a role trusts; returns those it trusted before. Users who stay keep their
 * trust row (and so their role sessions); dropped ones lose it, and a later one is new.
 */
export async function replaceRoleTrust(db: DB, accountId: string, roleId: string, userIds: readonly string[]): Promise<string[]> {
  const before = await db.selectFrom('role_trust').select('user_id').where('role_id', '=', roleId).forUpdate().execute();
  const trustedBefore = before.map((row) => row.user_id);
  const dropped = trustedBefore.filter((id) => !userIds.includes(id));
  if (dropped.length > 0) await db.deleteFrom('role_trust').where('role_id', '=', roleId).where('user_id', 'in', dropped).execute();
  await insertRoleTrust(
    db,
    accountId,
    roleId,
    userIds.filter((id) => !trustedBefore.includes(id)),
  );
  return trustedBefore;
}
