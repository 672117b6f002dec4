import { beforeAll, describe, expect, it } from 'vitest';
import {
  CREATE_API_KEY,
  apiKeyIds,
  authorizeModel,
  createKey,
  createWorkspace,
  expectError,
  modelCall,
  modelStudioAccount,
  setAllModels,
  uniqueName,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

// The tests speak for an inference proxy on 127.0.0.1 that passes its client's address as sourceIp.
const t = gatewayForThisFile({ trustedProxies: ['127.0.0.1/32'] });

/** docs/domain.md: a key's model scope and IP allowlist narrow what its workspace allows. */
describe('API key model scope and IP allowlist', () => {
  let account: ModelStudioAccount;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, 'qwen-max');
    await authorizeModel(t.client, account.token, account.W, 'qwen-plus');
  });

  describe('model scope', () => {
    let scoped: CreatedKey;
    beforeAll(async () => {
      scoped = await createKey(t.client, account.token, account.W, { modelScope: ['qwen-max'] });
    });

    it.each([
      ['qwen-max', 'ALLOWED'],
      ['qwen-plus', 'OUTSIDE_KEY_SCOPE'],
      // The workspace decides first: an unauthorized model is not authorized, whatever the scope.
      ['qwen-turbo', 'MODEL_NOT_AUTHORIZED'],
      ['no-such-model', 'MODEL_NOT_FOUND'],
    ])('%s answers %s', async (model, expected) => {
      expect(await modelCall(t.client, scoped.secret, model)).toBe(expected);
    });

    it('a scoped model whose authorization is closed later is not authorized', async () => {
      const key = await createKey(t.client, account.token, account.W, { modelScope: ['qwen-plus'] });
      await authorizeModel(t.client, account.token, account.W, 'qwen-plus', { inference: false });
      expect(await modelCall(t.client, key.secret, 'qwen-plus')).toBe('MODEL_NOT_AUTHORIZED');
      await authorizeModel(t.client, account.token, account.W, 'qwen-plus', { inference: true });
      expect(await modelCall(t.client, key.secret, 'qwen-plus')).toBe('ALLOWED');
    });
  });

  describe('IP allowlist', () => {
    let restricted: CreatedKey;
    beforeAll(async () => {
      restricted = await createKey(t.client, account.token, account.W, {
        ipAllowlist: ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', 'fe80::1/128'],
      });
    });

    it.each([
      ['10.1.2.3', 'ALLOWED'],
      ['10.255.255.255', 'ALLOWED'],
      ['11.0.0.1', 'SOURCE_IP_NOT_ALLOWED'],
      ['9.255.255.255', 'SOURCE_IP_NOT_ALLOWED'],
      ['192.168.1.7', 'ALLOWED'],
      ['192.168.1.8', 'SOURCE_IP_NOT_ALLOWED'],
      ['2001:db8::1', 'ALLOWED'],
      ['2001:db8:ffff:ffff::1', 'ALLOWED'],
      ['2001:db9::1', 'SOURCE_IP_NOT_ALLOWED'],
      ['fe80::1', 'ALLOWED'],
      ['fe80::2', 'SOURCE_IP_NOT_ALLOWED'],
      ['::1', 'SOURCE_IP_NOT_ALLOWED'],
    ])('source %s answers %s', async (ip, expected) => {
      expect(await modelCall(t.client, restricted.secret, 'qwen-max', ip)).toBe(expected);
    });

    it('without sourceIp the peer address (127.0.0.1, not listed) is checked and refused', async () => {
      expect(await modelCall(t.client, restricted.secret, 'qwen-max')).toBe('SOURCE_IP_NOT_ALLOWED');
    });

    it('a malformed sourceIp is BAD_USER_INPUT naming sourceIp', async () => {
      const result = await t.client.request(
        `query { modelAccess(model: "qwen-max", sourceIp: "10.0.0.300") { allowed } }`,
        {},
        { token: restricted.secret },
      );
      expectError(result, 'BAD_USER_INPUT', 'sourceIp');
    });

    it('a key without an allowlist accepts any source', async () => {
      const open = await createKey(t.client, account.token, account.W);
      expect(await modelCall(t.client, open.secret, 'qwen-max', '203.0.113.9')).toBe('ALLOWED');
      expect(await modelCall(t.client, open.secret, 'qwen-max', '2001:db9::1')).toBe('ALLOWED');
    });
  });

  describe('createApiKey validation (BAD_USER_INPUT, nothing created)', () => {
    const many = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `10.${i}.0.0/16`);
    let thirtyCallable: string[];
    let openWorkspace: string;

    beforeAll(async () => {
      // 30 extra standard models, all callable in a workspace open to all.
      const prefix = uniqueName('scope');
      thirtyCallable = many(30, prefix);
      await t.database.db
        .insertInto('model')
        .values(
          thirtyCallable.map((id) => ({
            id,
            display_name: id,
            description: '',
            supports_inference: true,
            supports_finetune: false,
            supports_deploy: false,
          })),
        )
        .execute();
      openWorkspace = await createWorkspace(t.client, account.token, 'open-to-all');
      await setAllModels(t.client, account.token, openWorkspace, 'OPEN');
    });

    // W authorizes qwen-max and qwen-plus only; OPEN is open to all models (so only the count is wrong).
    const cases: Array<[string, 'W' | 'OPEN', () => { modelScope?: string[]; ipAllowlist?: string[] }, string]> = [
      ['a scoped model not authorized in W', 'W', () => ({ modelScope: ['qwen-turbo'] }), 'input.modelScope[0]'],
      ['a scoped model not authorized in W, second entry', 'W', () => ({ modelScope: ['qwen-max', 'qwen-turbo'] }), 'input.modelScope[1]'],
      ['a scoped model that does not exist', 'W', () => ({ modelScope: ['no-such-model'] }), 'input.modelScope[0]'],
      ['a CIDR with a prefix over 32', 'W', () => ({ ipAllowlist: ['10.0.0.0/33'] }), 'input.ipAllowlist[0]'],
      ['an IPv6 CIDR with a prefix over 128', 'W', () => ({ ipAllowlist: ['10.0.0.0/8', '2001:db8::/129'] }), 'input.ipAllowlist[1]'],
      ['a CIDR that is no address', 'W', () => ({ ipAllowlist: ['not-an-ip/8'] }), 'input.ipAllowlist[0]'],
      ['a CIDR with two prefixes', 'W', () => ({ ipAllowlist: ['10.0.0.0/8/8'] }), 'input.ipAllowlist[0]'],
      ['an IPv4 address out of range', 'W', () => ({ ipAllowlist: ['10.0.0.256'] }), 'input.ipAllowlist[0]'],
      ['31 callable models', 'OPEN', () => ({ modelScope: [...thirtyCallable, 'qwen-max'] }), 'input.modelScope'],
      ['21 CIDRs', 'W', () => ({ ipAllowlist: cidrs(21) }), 'input.ipAllowlist'],
    ];

    it.each(cases)('%s (in %s) → BAD_USER_INPUT naming %s', async (_name, where, input, field) => {
      const workspaceId = where === 'OPEN' ? openWorkspace : account.W;
      const before = await apiKeyIds(t.client, account.token, workspaceId);
      const { modelScope = [], ipAllowlist = [] } = input();
      const result = await t.client.request<{ createApiKey: unknown }>(
        CREATE_API_KEY,
        { w: workspaceId, scope: modelScope, ips: ipAllowlist, d: '' },
        { token: account.token },
      );
      expectError(result, 'BAD_USER_INPUT', field);
      expect(result.data?.createApiKey ?? null).toBeNull();
      expect(await apiKeyIds(t.client, account.token, workspaceId)).toEqual(before);
    });

    it('the limits themselves are accepted: 30 callable models, 20 CIDRs', async () => {
      const key = await t.client.ok<{ createApiKey: { secret: string; apiKey: { modelScope: string[]; ipAllowlist: string[] } } }>(
        CREATE_API_KEY,
        { w: openWorkspace, scope: thirtyCallable, ips: cidrs(20), d: 'at the limits' },
        account.token,
      );
      expect(key.createApiKey.apiKey.modelScope).toHaveLength(30);
      expect(key.createApiKey.apiKey.ipAllowlist).toHaveLength(20);
      expect(await modelCall(t.client, key.createApiKey.secret, defined(thirtyCallable[29], 'the 30th callable model'), '10.19.1.1')).toBe(
        'ALLOWED',
      );
      expect(await modelCall(t.client, key.createApiKey.secret, 'qwen-max', '10.19.1.1')).toBe('OUTSIDE_KEY_SCOPE');
      expect(await modelCall(t.client, key.createApiKey.secret, defined(thirtyCallable[0], 'the first callable model'), '10.20.1.1')).toBe(
        'SOURCE_IP_NOT_ALLOWED',
      );
    });
  });
});
