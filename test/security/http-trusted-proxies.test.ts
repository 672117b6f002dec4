import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { signUp } from '../helpers/fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

/** A key of a default workspace (every standard model callable) that may be used from `ipAllowlist` only. */
async function keyFor(t: TestGateway, ipAllowlist: string[]): Promise<string> {
  const root = await signUp(t.client);
  const w = (
    await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    )
  ).activateModelStudio.id;
  return (
    await t.client.ok<{ createApiKey: { secret: string } }>(
      `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }`,
      { i: { workspaceId: w, ipAllowlist } },
      root.token,
    )
  ).createApiKey.secret;
}

/** modelAccess's reason for qwen-max, with the given `sourceIp` argument and X-Forwarded-For header. */
async function reason(t: TestGateway, key: string, options: { sourceIp?: string; forwardedFor?: string }) {
  const result = await t.client.request<{ modelAccess: { allowed: boolean; reason: string } }>(
    `query($ip: String) { modelAccess(model: "qwen-max", sourceIp: $ip) { allowed reason } }`,
    { ip: options.sourceIp ?? null },
    { token: key, headers: options.forwardedFor ? { 'x-forwarded-for': options.forwardedFor } : {} },
  );
  expect(result.errors).toBeUndefined();
  return defined(result.data, 'the modelAccess data').modelAccess.reason;
}

function gatewayWith(env: Record<string, string>) {
  const holder: { t?: TestGateway } = {};
  beforeAll(async () => (holder.t = await startTestGateway({ trustedProxies: loadConfig(env).trustedProxies })));
  afterAll(() => holder.t?.close());
  return () => defined(holder.t, 'the gateway');
}

describe('without TRUSTED_PROXIES (the default), the client is the socket peer (127.0.0.1 here)', () => {
  const t = gatewayWith({});
  let key: string;
  beforeAll(async () => (key = await keyFor(t(), ['10.1.2.3/32'])));

  it('a claimed sourceIp in the allowlist is not believed', async () => {
    expect(await reason(t(), key, { sourceIp: '10.1.2.3' })).toBe('SOURCE_IP_NOT_ALLOWED');
  });

  it('X-Forwarded-For is not believed', async () => {
    expect(await reason(t(), key, { forwardedFor: '10.1.2.3' })).toBe('SOURCE_IP_NOT_ALLOWED');
  });

  it("the request's own address is checked instead of the argument", async () => {
    const local = await keyFor(t(), ['127.0.0.1/32']);
    expect(await reason(t(), local, { sourceIp: '10.9.9.9' })).toBe('ALLOWED');
  });
});

describe('with TRUSTED_PROXIES=127.0.0.1/32, a request from the proxy is believed', () => {
  const t = gatewayWith({ TRUSTED_PROXIES: '127.0.0.1/32' });
  let key: string;
  beforeAll(async () => (key = await keyFor(t(), ['10.1.2.3/32'])));

  it('sourceIp', async () => {
    expect(await reason(t(), key, { sourceIp: '10.1.2.3' })).toBe('ALLOWED');
    expect(await reason(t(), key, { sourceIp: '10.1.2.4' })).toBe('SOURCE_IP_NOT_ALLOWED');
  });

  it('X-Forwarded-For: its right-most address that is not a trusted proxy', async () => {
    expect(await reason(t(), key, { forwardedFor: '10.1.2.3' })).toBe('ALLOWED');
    expect(await reason(t(), key, { forwardedFor: '10.1.2.3, 127.0.0.1' })).toBe('ALLOWED');
    // A client-written entry left of the one the proxy appended is not believed.
    expect(await reason(t(), key, { forwardedFor: '10.1.2.3, 203.0.113.7' })).toBe('SOURCE_IP_NOT_ALLOWED');
    expect(await reason(t(), key, {})).toBe('SOURCE_IP_NOT_ALLOWED');
  });
});

it('TRUSTED_PROXIES must be addresses or CIDRs', () => {
  expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, proxy.example' })).toThrow(ConfigError);
  expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, proxy.example' })).toThrow(/TRUSTED_PROXIES/);
  expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).trustedProxies).toEqual(['10.0.0.0/8', '::1']);
});
