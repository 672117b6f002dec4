import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { changeStatus, createUser, signUp, type TestAccount, type TestUser } from '../helpers/fixtures.js';
import { GraphQLClient, dataOf, outcomeOf } from '../helpers/graphql-client.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

/**
 * Two server processes on one PostgreSQL database: an AccessKey pair made inactive, deleted, or
 * whose user is disabled through process A is refused by process B on the very next request, even
 * right after B accepted it. (PGlite is one process's database: PostgreSQL only.)
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('AccessKey revocation across two server processes', () => {
  const a = gatewayForThisFile();
  let b: ServerProcess | undefined;
  let viaB: GraphQLClient;
  let root: TestAccount;
  let user: TestUser;

  beforeAll(async () => {
    const started = await startServerProcess(defined(a.databaseUrl, 'the URL of the test database (PostgreSQL runs only)'));
    b = started;
    viaB = new GraphQLClient(started.url);
    root = await signUp(a.client);
    user = await createUser(a.client, root.token);
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
  });

  const createPair = async () => {
    const created = (
      await a.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
        `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`,
        { p: user.id },
        root.token,
      )
    ).createAccessKey;
    return { id: created.accessKey.id, token: `${created.accessKey.id}:${created.secret}` };
  };
  const setStatusViaA = (id: string, status: 'ACTIVE' | 'INACTIVE') =>
    a.client.ok(
      `mutation($id: ID!, $s: AccessKeyStatus!) { setAccessKeyStatus(input: { id: $id, status: $s }) { id } }`,
      { id, s: status },
      root.token,
    );

  /** Who the pair acts as through B: the principal's ID, or the error code. */
  const actsAsViaB = async (pairToken: string) => {
    const result = await viaB.request<{ viewer: { credential: string; principal: { id: string } } }>(
      `{ viewer { credential principal { id } } }`,
      {},
      { token: pairToken },
    );
    if (result.errors?.length) return outcomeOf(result);
    const viewer = dataOf(result).viewer;
    expect(viewer.credential).toBe('ACCESS_KEY');
    return viewer.principal.id;
  };

  it('made inactive through A: refused by B on the next request; active again: accepted', async () => {
    const pair = await createPair();
    expect(await actsAsViaB(pair.token)).toBe(user.id);
    expect(await actsAsViaB(pair.token)).toBe(user.id);
    await setStatusViaA(pair.id, 'INACTIVE');
    expect(await actsAsViaB(pair.token)).toBe('UNAUTHENTICATED');
    await setStatusViaA(pair.id, 'ACTIVE');
    expect(await actsAsViaB(pair.token)).toBe(user.id);
    await a.client.ok(`mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`, { id: pair.id }, root.token);
  }, 60_000);

  it('deleted through A: refused by B on the next request', async () => {
    const pair = await createPair();
    expect(await actsAsViaB(pair.token)).toBe(user.id);
    await a.client.ok(`mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`, { id: pair.id }, root.token);
    expect(await actsAsViaB(pair.token)).toBe('UNAUTHENTICATED');
  }, 60_000);

  it('its user disabled through A: refused by B on the next request; enabled again: accepted', async () => {
    const pair = await createPair();
    expect(await actsAsViaB(pair.token)).toBe(user.id);
    await changeStatus(a.client, root.token, 'disableRamUser', user.id);
    expect(await actsAsViaB(pair.token)).toBe('UNAUTHENTICATED');
    await changeStatus(a.client, root.token, 'enableRamUser', user.id);
    expect(await actsAsViaB(pair.token)).toBe(user.id);
  }, 60_000);

  it('its user deleted through A: refused by B on the next request', async () => {
    const pair = await createPair();
    expect(await actsAsViaB(pair.token)).toBe(user.id);
    await changeStatus(a.client, root.token, 'deleteRamUser', user.id);
    expect(await actsAsViaB(pair.token)).toBe('UNAUTHENTICATED');
  }, 60_000);
});
