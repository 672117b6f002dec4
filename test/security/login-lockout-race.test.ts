import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createUser, signUp, type TestUser } from '../helpers/fixtures.js';
import { GraphQLClient, firstError, outcomeOf } from '../helpers/graphql-client.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
const LOCKOUT = 5;

/**
 * The lockout counts an attempt before its password is checked: 30 guesses sent at once get no
 * more checks than 5 sent one by one, and a right password among the refused ones logs nobody in.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('concurrent logins cannot race past the lockout', () => {
  let t: TestGateway;
  let server: ServerProcess | undefined;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestGateway();
    user = await createUser(t.client, (await signUp(t.client)).token);
    // A real hash cost keeps each check slow enough for the 30 requests to overlap.
    server = await startServerProcess(defined(t.databaseUrl, 'the database URL'), {
      LOGIN_FAILURES_BEFORE_LOCKOUT: String(LOCKOUT),
      PASSWORD_HASH_COST: '14',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await t?.close();
  });

  it('30 concurrent guesses at one name: at most 5 are checked, the right one late among them does not log in', async () => {
    const client = new GraphQLClient(defined(server, 'the server process').url);
    const RIGHT = 24;
    const passwords = Array.from({ length: 30 }, (_, i) => (i === RIGHT ? PASSWORD : `wrong guess number ${i}`));
    const results = await Promise.all(
      passwords.map((password) =>
        client.request<{ login: { token: string } | null }>(LOGIN, { i: { loginName: user.loginName, password } }),
      ),
    );

    const checked = results.filter((r) => outcomeOf(r) === 'UNAUTHENTICATED');
    expect(checked.every((r) => firstError(r).message === 'Invalid login name or password')).toBe(true);
    expect(checked.length).toBeLessThanOrEqual(LOCKOUT);
    expect(results.filter((r) => outcomeOf(r) === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(30 - LOCKOUT);
    const right = defined(results[RIGHT], 'the answer to the right password');
    expect(outcomeOf(right)).toBe('RATE_LIMITED');
    expect(right.data?.login ?? null).toBeNull();
  });
});
