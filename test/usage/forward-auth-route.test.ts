import { beforeAll, describe, expect, it } from 'vitest';
import { modelStudioAccount, type ModelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { enforcedWorkspace, forwardAuth, modelCallRoute, recorded, type EnforcedWorkspace } from './support.js';

/** The same secret with its last character changed: well formed, and the secret of no key. */
const unknownSecret = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`;

/**
 * GET /authz/model-call: authorizeModelCall for a reverse proxy's forward-auth (nginx
 * auth_request, Traefik ForwardAuth). It answers 204, 401, 403 or 429, and headers only.
 */
describe('GET /authz/model-call', () => {
  const t = gatewayForThisFile();
  let account: ModelStudioAccount;
  let enforced: EnforcedWorkspace;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    enforced = await enforcedWorkspace(t.client, account, 'qwen-max', { requestLimit: 3, requestLimitPeriodSeconds: 60 });
  });

  it('is served next to /graphql', () => {
    expect(modelCallRoute(t.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authz\/model-call$/);
  });

  it('an allowed call: 204 with X-Call-Id and the window; 429 with Retry-After once the limit is used up', async () => {
    const secret = enforced.key.secret;
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await forwardAuth(t.url, { secret, model: 'qwen-max' });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      expect(response.headers.get('x-call-id')).toMatch(/^call_/);
      expect(response.headers.get('x-ratelimit-limit')).toBe('3');
      remaining.push(response.headers.get('x-ratelimit-remaining') ?? 'absent');
      expect(response.headers.get('x-denial-reason')).toBeNull();
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const refused = await forwardAuth(t.url, { secret, model: 'qwen-max' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-denial-reason')).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('x-call-id')).toBeNull();
  });

  it("the call ID it gives records the call's usage (recordModelUsage), once", async () => {
    const { key } = await enforcedWorkspace(t.client, account, 'qwen-plus', null);
    const response = await forwardAuth(t.url, { secret: key.secret, model: 'qwen-plus' });
    expect(response.status).toBe(204);
    // No request limit: no window headers.
    expect(response.headers.get('x-ratelimit-remaining')).toBeNull();
    const callId = response.headers.get('x-call-id') ?? '';
    expect(await recorded(t.client, key.secret, callId, 10, 5)).toMatchObject({ callId, model: 'qwen-plus', inputTokens: 10 });
  });

  it.each([
    ['not authorized in the workspace', 'qwen-plus', 'MODEL_NOT_AUTHORIZED'],
    ['that does not exist', 'no-such-model', 'MODEL_NOT_FOUND'],
    ['that is no model name', '../etc/passwd', 'MODEL_NOT_FOUND'],
  ])('a model %s: 403 with X-Denial-Reason %s', async (_what, model, reason) => {
    const response = await forwardAuth(t.url, { secret: enforced.key.secret, model });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-denial-reason')).toBe(reason);
    expect(response.headers.get('x-call-id')).toBeNull();
  });

  it('a missing X-Model: 403', async () => {
    const response = await forwardAuth(t.url, { secret: enforced.key.secret });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-denial-reason')).toBe('MODEL_NOT_FOUND');
  });

  it.each<[string, (secret: string) => Record<string, string>]>([
    ['no Authorization header', () => ({})],
    ['a garbled API key', () => ({ authorization: 'Bearer sk-garbled' })],
    ['a well-formed key that does not exist', (secret) => ({ authorization: `Bearer ${unknownSecret(secret)}` })],
    ['a garbled temporary key', () => ({ authorization: 'Bearer st-garbled' })],
    ['not a Bearer header', (secret) => ({ authorization: `Basic ${secret}` })],
  ])('%s: 401', async (_what, headers) => {
    const response = await forwardAuth(t.url, { model: 'qwen-max', headers: headers(enforced.key.secret) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.headers.get('x-call-id')).toBeNull();
  });

  it("a console session's token (not an API key): 401", async () => {
    const response = await forwardAuth(t.url, { model: 'qwen-max', headers: { authorization: `Bearer ${account.token}` } });
    expect(response.status).toBe(401);
  });

  it('a temporary key made from a key: 204', async () => {
    const { key } = await enforcedWorkspace(t.client, account, 'qwen-max', null);
    const data = await t.client.ok<{ createTemporaryApiKey: { secret: string } }>(
      `mutation { createTemporaryApiKey(input: { expiresInSeconds: 60 }) { secret } }`,
      {},
      key.secret,
    );
    const response = await forwardAuth(t.url, { secret: data.createTemporaryApiKey.secret, model: 'qwen-max' });
    expect(response.status).toBe(204);
    expect(response.headers.get('x-call-id')).toMatch(/^call_/);
  });

  it('a method other than GET answers 403, never another status', async () => {
    const response = await fetch(modelCallRoute(t.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${enforced.key.secret}`, 'x-model': 'qwen-max' },
    });
    expect(response.status).toBe(403);
  });

  it('X-Forwarded-For is ignored from a peer that is not a trusted proxy', async () => {
    const { key } = await enforcedWorkspace(t.client, account, 'qwen-max', null, { ipAllowlist: ['10.0.0.0/8'] });
    const spoofed = await forwardAuth(t.url, { secret: key.secret, model: 'qwen-max', headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(spoofed.status).toBe(403);
    expect(spoofed.headers.get('x-denial-reason')).toBe('SOURCE_IP_NOT_ALLOWED');
    // The peer's own address is what counts.
    const local = await enforcedWorkspace(t.client, account, 'qwen-max', null, { ipAllowlist: ['127.0.0.1/32'] });
    const fromPeer = await forwardAuth(t.url, { secret: local.key.secret, model: 'qwen-max', headers: { 'x-forwarded-for': '11.0.0.1' } });
    expect(fromPeer.status).toBe(204);
  });
});

describe('GET /authz/model-call behind a trusted proxy', () => {
  const t = gatewayForThisFile({ trustedProxies: ['127.0.0.1/32'] });
  let restricted: EnforcedWorkspace;

  beforeAll(async () => {
    const account = await modelStudioAccount(t.client);
    restricted = await enforcedWorkspace(t.client, account, 'qwen-max', null, { ipAllowlist: ['10.0.0.0/8'] });
  });

  it.each([
    ['10.1.2.3', 204, null],
    ['203.0.113.9, 10.1.2.3', 204, null],
    ['11.0.0.1', 403, 'SOURCE_IP_NOT_ALLOWED'],
    ['10.1.2.3, 11.0.0.1', 403, 'SOURCE_IP_NOT_ALLOWED'],
  ])('X-Forwarded-For %s: %s', async (forwardedFor, status, reason) => {
    const response = await forwardAuth(t.url, {
      secret: restricted.key.secret,
      model: 'qwen-max',
      headers: { 'x-forwarded-for': forwardedFor },
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('x-denial-reason')).toBe(reason);
  });

  it('without X-Forwarded-For the proxy itself (127.0.0.1, not listed) is checked: 403', async () => {
    const response = await forwardAuth(t.url, { secret: restricted.key.secret, model: 'qwen-max' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-denial-reason')).toBe('SOURCE_IP_NOT_ALLOWED');
  });
});
