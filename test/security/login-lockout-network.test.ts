import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createUser, signUp, type TestUser } from '../helpers/fixtures.js';
import { dataOf, outcomeOf } from '../helpers/graphql-client.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
const LOCKOUT = 3;
/** src/identity/login-lockout.ts: past 10 × the per-network limit, a name is under attack. */
const UNDER_ATTACK = 10 * LOCKOUT;

/**
 * A stranger's failed logins lock a name for the stranger's network only: the owner, from
 * another network, still gets in. Other networks are simulated by a trusted proxy's
 * X-Forwarded-For (the gateway believes 127.0.0.1).
 */
describe("failed logins lock the name for the failing network, not for the owner's", () => {
  let t: TestGateway;
  let user: TestUser;
  beforeAll(async () => {
    t = await startTestGateway({
      trustedProxies: ['127.0.0.1/32'],
      authLimits: { signUpsPerHourPerAddress: 1000, loginsPerMinutePerAddress: 1000, failedLoginsBeforeLockout: LOCKOUT },
    });
    user = await createUser(t.client, (await signUp(t.client)).token);
  });
  afterAll(() => t?.close());

  const loginFrom = (address: string, loginName: string, password: string) =>
    t.client.request<{ login: { token: string } }>(LOGIN, { i: { loginName, password } }, { headers: { 'x-forwarded-for': address } });
  const fail = async (address: string, loginName: string) => {
    expect(outcomeOf(await loginFrom(address, loginName, 'a wrong password'))).toBe('UNAUTHENTICATED');
  };

  it('IPv4: locked for the /24 that failed, open to a fresh network, and the attacker stays locked', async () => {
    for (let i = 0; i < LOCKOUT; i++) await fail('203.0.113.7', user.loginName);
    expect(outcomeOf(await loginFrom('203.0.113.200', user.loginName, PASSWORD))).toBe('RATE_LIMITED');
    const owner = await loginFrom('198.51.100.4', user.loginName, PASSWORD);
    expect(outcomeOf(owner)).toBe('OK');
    expect(dataOf(owner).login.token).toMatch(/^ey/);
    expect(outcomeOf(await loginFrom('203.0.113.7', user.loginName, PASSWORD))).toBe('RATE_LIMITED');
  });

  it('IPv6: locked for the /64 that failed, open to the next /64', async () => {
    const other = await createUser(t.client, (await signUp(t.client)).token);
    for (let i = 0; i < LOCKOUT; i++) await fail(`2001:db8:a:b::${i + 1}`, other.loginName);
    expect(outcomeOf(await loginFrom('2001:db8:a:b:ffff:1:2:3', other.loginName, PASSWORD))).toBe('RATE_LIMITED');
    expect(outcomeOf(await loginFrom('2001:db8:a:c::1', other.loginName, PASSWORD))).toBe('OK');
  });

  it('under a distributed attack each network gets one attempt, and the owner from a fresh network still gets in', async () => {
    const target = await createUser(t.client, (await signUp(t.client)).token);
    for (let network = 0; network < UNDER_ATTACK / LOCKOUT; network++) {
      for (let i = 0; i < LOCKOUT; i++) await fail(`10.${network}.0.1`, target.loginName);
    }
    // A network that has not tried yet gets its first guess checked, but no second one.
    await fail('10.200.0.1', target.loginName);
    expect(outcomeOf(await loginFrom('10.200.0.1', target.loginName, PASSWORD))).toBe('RATE_LIMITED');
    expect(outcomeOf(await loginFrom('10.201.0.1', target.loginName, PASSWORD))).toBe('OK');
  });
});
