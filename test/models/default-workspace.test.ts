import { beforeAll, describe, expect, it } from 'vitest';
import {
  SET_ALL_MODELS_ACCESS,
  SET_MODEL_AUTHORIZATION,
  auditEvents,
  createKey,
  expectError,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/** docs/domain.md: in the default workspace every standard model is callable and nothing can be restricted. */
describe('default workspace', () => {
  let account: ModelStudioAccount;
  let key: CreatedKey;
  let standardModels: string[];

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    key = await createKey(t.client, account.token, account.D);
    const catalog = await t.client.ok<{ models: Array<{ id: string; workspaceId: string | null; supportsInference: boolean }> }>(
      `{ models { id workspaceId supportsInference } }`,
      {},
      account.token,
    );
    standardModels = catalog.models.filter((m) => m.workspaceId === null && m.supportsInference).map((m) => m.id);
  });

  it('the catalog holds the standard models of docs/domain.md', () => {
    expect(standardModels).toEqual(
      expect.arrayContaining(['qwen-max', 'qwen-plus', 'qwen-turbo', 'qwen-vl-max', 'text-embedding-v3', 'deepseek-r1']),
    );
  });

  const everyModelCallable = async (secret: string) => {
    const answers = Object.fromEntries(
      await Promise.all(standardModels.map(async (m) => [m, await modelCall(t.client, secret, m)] as const)),
    );
    expect(answers).toEqual(Object.fromEntries(standardModels.map((m) => [m, 'ALLOWED'])));
    const limited = await t.client.ok<{ modelAccess: unknown }>(
      `query($m: ID!) { modelAccess(model: $m) { rateLimit { requestLimit } workspace { id kind } } }`,
      { m: 'qwen-max' },
      secret,
    );
    expect(limited.modelAccess).toEqual({ rateLimit: null, workspace: { id: account.D, kind: 'DEFAULT' } });
  };

  it('every standard model is callable with a default-workspace key, no rate limit, no authorization needed', async () => {
    await everyModelCallable(key.secret);
  });

  it("a plain member's default-workspace key calls every standard model too", async () => {
    const member = await modelStudioUser(t.client, account, { workspaceId: account.D, pages: ['API_KEY'] });
    const memberKey = await createKey(t.client, member.token, account.D);
    await everyModelCallable(memberKey.secret);
  });

  const restrictions: Array<[string, string, Record<string, unknown>]> = [
    ['setModelAuthorization inference false', SET_MODEL_AUTHORIZATION, { m: 'qwen-max', i: false, f: null, d: null }],
    ['setModelAuthorization finetune false', SET_MODEL_AUTHORIZATION, { m: 'qwen-plus', i: null, f: false, d: null }],
    ['setModelAuthorization inference true', SET_MODEL_AUTHORIZATION, { m: 'qwen-max', i: true, f: null, d: null }],
    [
      'setModelRateLimit',
      `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-max", requestLimit: 1, requestLimitPeriodSeconds: 60 }) { requestLimit } }`,
      {},
    ],
    ['deleteModelRateLimit', `mutation($w: ID!) { deleteModelRateLimit(input: { workspaceId: $w, model: "qwen-max" }) { id } }`, {}],
    ['setAllModelsAccess CLOSE', SET_ALL_MODELS_ACCESS, { mode: 'CLOSE' }],
    ['setAllModelsAccess OPEN', SET_ALL_MODELS_ACCESS, { mode: 'OPEN' }],
  ];

  it.each(restrictions)(
    '%s on D answers BAD_USER_INPUT naming input.workspaceId, even for the root, and changes nothing',
    async (_name, query, variables) => {
      const before = await auditEvents(t.client, account.token, { outcome: 'SUCCESS' });
      const result = await t.client.request(query, { w: account.D, ...variables }, { token: account.token });
      expectError(result, 'BAD_USER_INPUT', 'input.workspaceId');

      const workspace = await t.client.ok<{ workspace: unknown }>(
        `query($w: ID!) { workspace(id: $w) { kind allModelsOpen modelAuthorizations { edges { node { model { id } } } } rateLimits { edges { node { model { id } } } } } }`,
        { w: account.D },
        account.token,
      );
      expect(workspace.workspace).toMatchObject({ kind: 'DEFAULT', modelAuthorizations: { edges: [] }, rateLimits: { edges: [] } });
      await everyModelCallable(key.secret);
      expect(await auditEvents(t.client, account.token, { outcome: 'SUCCESS' })).toEqual(before);
    },
  );

  it('an AliyunBailianFullAccess holder is refused the same way', async () => {
    const fa = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
    const result = await t.client.request(
      SET_MODEL_AUTHORIZATION,
      { w: account.D, m: 'qwen-max', i: false, f: null, d: null },
      { token: fa.token },
    );
    expectError(result, 'BAD_USER_INPUT', 'input.workspaceId');
    await everyModelCallable(key.secret);
  });
});
