import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createUser, signUp } from '../helpers/fixtures.js';
import { GraphQLClient, firstError, outcomeOf } from '../helpers/graphql-client.js';
import { startServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
const SIGN_UP = `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`;

describe('sign-up and login are throttled, with a clear error and a retry-after', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ authLimits: { signUpsPerHourPerAddress: 3, loginsPerMinutePerAddress: 8, failedLoginsBeforeLockout: 3 } });
  });
  afterAll(() => t?.close());

  it('per source address: the 4th sign-up within the hour is refused and writes nothing', async () => {
    for (let i = 0; i < 3; i++) await signUp(t.client, `throttle-${i}-${Date.now()}`);
    const before = await t.database.db
      .selectFrom('account')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const refused = await t.client.request(SIGN_UP, {
      i: { accountName: `throttle-x-${Date.now()}`, email: `x${Date.now()}@example.com`, password: PASSWORD },
    });
    expect(outcomeOf(refused)).toBe('RATE_LIMITED');
    expect(firstError(refused).extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(firstError(refused).message).toMatch(/retry in \d+ s/);
    const after = await t.database.db
      .selectFrom('account')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('per login name: repeated failures lock it, even for the right password; other names are unaffected', async () => {
    const root = await t.database.db.selectFrom('account').select(['email']).executeTakeFirstOrThrow();
    for (let i = 0; i < 3; i++) {
      expect(outcomeOf(await t.client.request(LOGIN, { i: { loginName: root.email, password: 'wrong password!!' } }))).toBe(
        'UNAUTHENTICATED',
      );
    }
    const locked = await t.client.request(LOGIN, { i: { loginName: root.email.toUpperCase(), password: PASSWORD } });
    expect(outcomeOf(locked)).toBe('RATE_LIMITED');
    expect(firstError(locked).extensions?.retryAfterSeconds).toBeGreaterThan(60);
  });

  it('per source address: logins beyond the per-minute limit are refused', async () => {
    const results: string[] = [];
    for (let i = 0; i < 10; i++)
      results.push(
        outcomeOf(await t.client.request(LOGIN, { i: { loginName: `nobody-${i}@example.com`, password: 'whatever password' } })),
      );
    expect(results).toContain('RATE_LIMITED');
    expect(results.filter((r) => r === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('the limits are shared by every server process', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      authLimits: { signUpsPerHourPerAddress: 1000, loginsPerMinutePerAddress: 1000, failedLoginsBeforeLockout: 2 },
    });
  });
  afterAll(() => t?.close());

  it('a login name locked through one process is locked in the other', async () => {
    const root = await signUp(t.client);
    const user = await createUser(t.client, root.token);
    const other = await startServerProcess(defined(t.databaseUrl, 'the database URL'), { LOGIN_FAILURES_BEFORE_LOCKOUT: '2' });
    try {
      for (let i = 0; i < 2; i++) await t.client.request(LOGIN, { i: { loginName: user.loginName, password: 'wrong password!!' } });
      const viaOther = await new GraphQLClient(other.url).request(LOGIN, { i: { loginName: user.loginName, password: PASSWORD } });
      expect(outcomeOf(viaOther)).toBe('RATE_LIMITED');
    } finally {
      await other.stop();
    }
  });
});
