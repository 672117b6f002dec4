import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceAddressKey, sourceNetworkKey } from '../../src/limits/source-network.js';
import { PASSWORD } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
const SIGN_UP = `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`;

describe('source address keys', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9', '203.0.113.0/24'],
    ['::ffff:203.0.113.9', '203.0.113.9', '203.0.113.0/24'],
    ['2001:db8:a:b::1', '2001:db8:a:b::/64', '2001:db8:a:b::/64'],
    ['2001:0db8:000a:000b:ffff:ffff:ffff:ffff', '2001:db8:a:b::/64', '2001:db8:a:b::/64'],
    ['2001:DB8:A:B:1:2:3:4', '2001:db8:a:b::/64', '2001:db8:a:b::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64', '0:0:0:0::/64'],
    ['64:ff9b:1:2::198.51.100.1', '64:ff9b:1:2::/64', '64:ff9b:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64', 'fe80:0:0:0::/64'],
    [null, 'unknown', 'unknown'],
  ])('%s: per address %s, per network %s', (address, perAddress, perNetwork) => {
    expect(sourceAddressKey(address)).toBe(perAddress);
    expect(sourceNetworkKey(address)).toBe(perNetwork);
  });
});

/** Every address of an IPv6 /64 belongs to one subscriber: per-address limits count the /64. */
describe('per-address login and sign-up limits count an IPv6 /64 as one address', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      trustedProxies: ['127.0.0.1/32'],
      authLimits: { signUpsPerHourPerAddress: 2, loginsPerMinutePerAddress: 3, failedLoginsBeforeLockout: 1000 },
    });
  });
  afterAll(() => t?.close());

  const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

  it('logins: the 4th within a minute from one /64 is refused, whatever address of it; another /64 is not', async () => {
    const outcomes: string[] = [];
    for (let i = 1; i <= 4; i++) {
      outcomes.push(
        outcomeOf(
          await t.client.request(LOGIN, { i: { loginName: `nobody-${i}@example.com`, password: PASSWORD } }, from(`2001:db8:1:1::${i}`)),
        ),
      );
    }
    expect(outcomes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
    const elsewhere = await t.client.request(
      LOGIN,
      { i: { loginName: 'nobody@example.com', password: PASSWORD } },
      from('2001:db8:1:2::1'),
    );
    expect(outcomeOf(elsewhere)).toBe('UNAUTHENTICATED');
  });

  it('sign-ups: the 3rd within an hour from one /64 is refused; IPv4 addresses still count one by one', async () => {
    const signUpFrom = (name: string, address: string) =>
      t.client.request(SIGN_UP, { i: { accountName: name, email: `${name}@example.com`, password: PASSWORD } }, from(address));
    const stamp = Date.now().toString(36);
    expect(outcomeOf(await signUpFrom(`six-a-${stamp}`, '2001:db8:2:2::a'))).toBe('OK');
    expect(outcomeOf(await signUpFrom(`six-b-${stamp}`, '2001:db8:2:2:ffff::b'))).toBe('OK');
    expect(outcomeOf(await signUpFrom(`six-c-${stamp}`, '2001:db8:2:2::c'))).toBe('RATE_LIMITED');
    for (const last of [1, 2, 3]) expect(outcomeOf(await signUpFrom(`four-${last}-${stamp}`, `198.51.100.${last}`))).toBe('OK');
  });
});
