import { sql, type QueryExecutorProvider } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signUp, type TestAccount } from '../helpers/fixtures.js';
import { authorizeModel, createKey, modelStudioAccount, tableDigest, type ModelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

/**
 * A fault injected between the steps of a multi-step mutation (a trigger that raises on one
 * table, after earlier steps have written) leaves nothing half-written: the whole database
 * reads as before, and the same mutation succeeds once the fault is gone.
 */
const t = gatewayForThisFile();

/** Request throttling writes its counters on every request; everything else must stay put. */
const UNCOUNTED_TABLES = new Set(['rate_limit_window', 'kysely_migration', 'kysely_migration_lock']);

async function databaseFingerprint(db: QueryExecutorProvider): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const digests: Record<string, string> = {};
  for (const { name } of tables.rows) {
    if (UNCOUNTED_TABLES.has(name)) continue;
    digests[name] = await tableDigest(db, name);
  }
  return digests;
}

/** Makes the next `operation` on `table` fail, as a lost connection or a full disk would. */
async function injectFault(db: QueryExecutorProvider, table: string, operation: 'insert' | 'update' | 'delete') {
  await sql`create or replace function injected_fault() returns trigger language plpgsql as $$
    begin raise exception 'injected fault'; end $$`.execute(db);
  await sql`create trigger injected_fault before ${sql.raw(operation)} on ${sql.table(table)}
    for each statement execute function injected_fault()`.execute(db);
  return table;
}

let faultyTable: string | null = null;
afterEach(async () => {
  if (faultyTable) await sql`drop trigger if exists injected_fault on ${sql.table(faultyTable)}`.execute(t.database.db);
  faultyTable = null;
});

interface Case {
  name: string;
  /** The table whose write fails, and which of the mutation's writes come before it. */
  fault: [table: string, operation: 'insert' | 'update' | 'delete'];
  written: string;
  run: () => Promise<{ errors?: Array<{ extensions?: { code?: string } }> }>;
}

let root: TestAccount;
let account: ModelStudioAccount;
let userToDelete: { id: string };

beforeAll(async () => {
  root = await signUp(t.client);
  account = await modelStudioAccount(t.client);
  await authorizeModel(t.client, account.token, account.W, 'qwen-max', { inference: true });
  userToDelete = await createUser(t.client, account.token);
  await t.client.ok(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: userToDelete.id }, account.token);
  await t.client.ok(
    `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [API_KEY] }) { principal { id } } }`,
    { w: account.W, p: userToDelete.id },
    account.token,
  );
  await createKey(t.client, account.token, account.W);
});

const cases: Case[] = [
  {
    name: 'signUp',
    fault: ['audit_event', 'insert'],
    written: 'the account and its root',
    run: () =>
      t.client.request(
        `mutation { signUp(input: { accountName: "half-written", email: "half@example.com", password: "correct horse battery staple" }) { token } }`,
      ),
  },
  {
    name: 'activateModelStudio',
    fault: ['workspace', 'insert'],
    written: 'the activation and a workspace slot',
    run: () =>
      t.client.request(
        `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
        {},
        { token: root.token },
      ),
  },
  {
    name: 'setAllModelsAccess CLOSE',
    fault: ['model_authorization', 'update'],
    written: "the workspace's all-models flag",
    run: () =>
      t.client.request(
        `mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: CLOSE }) { id } }`,
        { w: account.W },
        { token: account.token },
      ),
  },
  {
    name: 'deleteRamUser',
    fault: ['audit_event', 'insert'],
    written: "the user's deletion, memberships and keys",
    run: () => t.client.request(`mutation($id: ID!) { deleteRamUser(id: $id) { id } }`, { id: userToDelete.id }, { token: account.token }),
  },
];

describe('a fault in the middle of a multi-step mutation', () => {
  it.each(cases)(
    '$name: a failure after $written answers INTERNAL_SERVER_ERROR and writes nothing; it succeeds without the fault',
    async ({ fault, run }) => {
      const before = await databaseFingerprint(t.database.db);
      faultyTable = await injectFault(t.database.db, ...fault);

      const failed = await run();
      expect(failed.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(failed)).not.toContain('injected');
      expect(await databaseFingerprint(t.database.db)).toEqual(before);

      await sql`drop trigger injected_fault on ${sql.table(fault[0])}`.execute(t.database.db);
      faultyTable = null;
      const retried = await run();
      expect(retried.errors).toBeUndefined();
      expect(await databaseFingerprint(t.database.db)).not.toEqual(before);
    },
  );
});
