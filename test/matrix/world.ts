import { randomBytes } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { DB } from '../../src/db/database.js';
import { defined } from '../helpers/assertions.js';
import { PASSWORD, attachPolicy, createUser, login, signUp, type TestAccount } from '../helpers/fixtures.js';
import type { GraphQLClient } from '../helpers/graphql-client.js';
import { accountFingerprint, tableDigest } from '../helpers/model-studio-fixtures.js';
import { COLUMN_NAMES, COLUMNS, type ColumnName } from './permission-matrix.js';

export { COLUMN_NAMES, COLUMNS, type ColumnName };

/** A principal of a column, signed in: a RAM user, or (variant) a RAM role session. */
export interface MatrixActor {
  column: ColumnName;
  token: string;
  principalId: string;
  variant: 'user' | 'role' | 'root';
  /**
   * When `token` is an API key (test/matrix/api-key-matrix.test.ts): the console session of the
   * key's owner, for a row's setup done as the actor (rows 21 and 33 make the actor's own key).
   * Absent: `token` is that session.
   */
  session?: string;
  /**
   * Signs the principal in again: a fresh console session (a new role session for a role, assumed
   * by the same user). Rows 41 (revokeSessions on oneself) end the actor's sessions: `signInAgain`.
   */
  renew: () => Promise<string>;
}

export interface World {
  client: GraphQLClient;
  db: DB;
  root: TestAccount;
  other: TestAccount;
  /** Default workspace (cn-beijing) and two sub-workspaces of account A. */
  D: string;
  W: string;
  W2: string;
  actors: Record<ColumnName, MatrixActor>;
  /** The same columns as RAM role sessions (ROOT and X have none). */
  roleActors: Partial<Record<ColumnName, MatrixActor>>;
  /**
   * Principals of A that are no column, targets of the additions' rows. `keyHolder`: a member
   * of W holding API_KEY, the owner of "another principal's key" (rows 26-29). `pairHolder`: a
   * RAM user whose AccessKey pairs row 31 manages.
   */
  keyHolder: string;
  pairHolder: string;
  /**
   * Called right before each request sent as the actor (after the row's own setup), with that
   * request (the viewerPermissions runner reads the resource it names).
   */
  probe?: (request: { query: string; variables: Record<string, unknown> }) => Promise<void>;
}

export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export async function gqlOk(w: Pick<World, 'client'>, token: string, query: string, variables: Record<string, unknown> = {}) {
  return w.client.ok(query, variables, token);
}

async function register(client: GraphQLClient, rootToken: string, principalId: string) {
  await client.ok(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: principalId }, rootToken);
}

export async function setPages(
  client: GraphQLClient,
  rootToken: string,
  workspaceId: string,
  principalId: string,
  pages: readonly string[],
) {
  await client.ok(
    `mutation($w: ID!, $p: ID!, $pages: [Page!]!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: $pages }) { pages } }`,
    { w: workspaceId, p: principalId, pages },
    rootToken,
  );
}

/** A fresh RAM user registered in Model Studio (a target for membership rows). */
export async function registeredUser(w: Pick<World, 'client' | 'root'>) {
  const user = await createUser(w.client, w.root.token, unique('target'));
  await register(w.client, w.root.token, user.id);
  return user;
}

/** What the world holds before its actors exist. */
type BaseWorld = Pick<World, 'client' | 'db' | 'root' | 'other' | 'D' | 'W' | 'W2'>;

async function grant(w: BaseWorld, principalId: string, column: ColumnName) {
  const spec = COLUMNS[column];
  for (const policy of spec.policies) await attachPolicy(w.client, w.root.token, principalId, policy);
  await register(w.client, w.root.token, principalId);
  if (spec.pages) await setPages(w.client, w.root.token, w.W, principalId, spec.pages);
}

async function userActor(base: BaseWorld, column: ColumnName): Promise<MatrixActor> {
  const user = await createUser(base.client, base.root.token, unique(column.toLowerCase()));
  await grant(base, user.id, column);
  return { column, token: user.token, principalId: user.id, variant: 'user', renew: () => login(base.client, user.loginName) };
}

/** A role holding the column's policies and memberships, assumed by a plain trusted user. */
async function roleActor(base: BaseWorld, column: ColumnName): Promise<MatrixActor> {
  const assumer = await createUser(base.client, base.root.token, unique(`as-${column.toLowerCase()}`));
  const role = await base.client.ok<{ createRamRole: { id: string } }>(
    `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { id } }`,
    { input: { name: unique(`role-${column.toLowerCase()}`), trustedUserIds: [assumer.id] } },
    base.root.token,
  );
  const roleId = role.createRamRole.id;
  await grant(base, roleId, column);
  const assume = async () =>
    (
      await base.client.ok<{ assumeRole: { token: string } }>(
        `mutation($id: ID!) { assumeRole(roleId: $id) { token } }`,
        { id: roleId },
        assumer.token,
      )
    ).assumeRole.token;
  return { column, token: await assume(), principalId: roleId, variant: 'role', renew: assume };
}

export async function buildWorld(client: GraphQLClient, db: DB): Promise<World> {
  const root = await signUp(client, unique('acct-a'));
  const other = await signUp(client, unique('acct-x'));
  const d = await client.ok<{ activateModelStudio: { id: string } }>(
    `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
    {},
    root.token,
  );
  const mk = async (name: string) =>
    (
      await client.ok<{ createWorkspace: { id: string } }>(
        `mutation($n: String!) { createWorkspace(input: { name: $n, region: CN_BEIJING }) { id } }`,
        { n: name },
        root.token,
      )
    ).createWorkspace.id;
  const base: BaseWorld = { client, db, root, other, D: d.activateModelStudio.id, W: await mk('W'), W2: await mk('W2') };

  const userColumns = COLUMN_NAMES.filter((c) => c !== 'ROOT' && c !== 'X');
  const users = await Promise.all(userColumns.map((c) => userActor(base, c)));
  const roles = await Promise.all(userColumns.map((c) => roleActor(base, c)));
  const actors = Object.fromEntries(users.map((a) => [a.column, a])) as Record<ColumnName, MatrixActor>;
  actors.ROOT = { column: 'ROOT', token: root.token, principalId: root.rootId, variant: 'root', renew: () => login(client, root.email) };
  actors.X = { column: 'X', token: other.token, principalId: other.rootId, variant: 'root', renew: () => login(client, other.email) };
  const keyHolder = await registeredUser(base);
  await setPages(client, root.token, base.W, keyHolder.id, ['API_KEY']);
  const pairHolder = await createUser(client, root.token, unique('pairs'));
  return {
    ...base,
    actors,
    roleActors: Object.fromEntries(roles.map((a) => [a.column, a])),
    keyHolder: keyHolder.id,
    pairHolder: pairHolder.id,
  };
}

/**
 * The actor after a row ended its sessions (row 41): signed in again, its token replaced where
 * the world keeps it (the root's also in `w.root`, which every setup uses).
 */
export async function signInAgain(w: World, actor: MatrixActor): Promise<void> {
  actor.token = await actor.renew();
  if (actor.column === 'ROOT' && actor.variant === 'root') w.root.token = actor.token;
  if (actor.column === 'X' && actor.variant === 'root') w.other.token = actor.token;
}

/** Rows 35-38 (issue #12): the enforcement tables, the account's part of each. */
const ofAccountWorkspace = (accountId: string, column: RawBuilder<unknown>) =>
  sql`exists (select 1 from workspace ws where ws.account_id = ${accountId} and ${column})`;
const enforcementDigests = (db: DB, accountId: string) =>
  Promise.all([
    tableDigest(db, 'workspace_budget', sql`account_id = ${accountId}`),
    tableDigest(db, 'model_usage', sql`account_id = ${accountId}`),
    tableDigest(db, 'workspace_spend', ofAccountWorkspace(accountId, sql`ws.id = t.workspace_id`)),
    // Counter keys name their workspace: requests:<workspace>:<model>, tokens:<workspace>:<model>.
    tableDigest(db, 'model_call_counter', ofAccountWorkspace(accountId, sql`t.key like '%:' || ws.id || ':%'`)),
  ]);

/**
 * A fingerprint of every table but the audit trail: equal before and after means the
 * request changed nothing. Audit events are compared apart (a denial adds one DENIED row).
 * Budgets, spend, recorded usage and call counters are included (rows 35-38).
 */
export async function fingerprint(db: DB, accountId: string): Promise<string> {
  const [tables, [budget, usage, spend, counters]] = await Promise.all([
    accountFingerprint(db, accountId),
    enforcementDigests(db, accountId),
  ]);
  return JSON.stringify({
    ...tables,
    workspace_budget: budget,
    model_usage: usage,
    workspace_spend: spend,
    model_call_counter: counters,
  });
}

/** Account A's audit outcomes recorded after `sinceId` (the highest id seen before the request). */
export async function auditOutcomesSince(db: DB, accountId: string, sinceId: string): Promise<string[]> {
  const result = await sql<{
    outcome: string;
  }>`select outcome from audit_event where account_id = ${accountId} and id > cast(${sinceId} as bigint) order by id`.execute(db);
  return result.rows.map((r) => r.outcome);
}

export async function lastAuditId(db: DB): Promise<string> {
  const result = await sql<{ id: string }>`select cast(coalesce(max(id), 0) as text) as id from audit_event`.execute(db);
  return defined(result.rows[0], 'the highest audit event ID').id;
}

export { PASSWORD, login };
