import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { signUp } from '../helpers/fixtures.js';
import {
  activateRegion,
  authorizeModel,
  createKey,
  createWorkspace,
  expectError,
  modelCall,
  modelStudioAccount,
  setAllModels,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

const CREATE_FINE_TUNED = `mutation($w: ID!, $b: ID!, $s: String!) { createFineTunedModel(input: { workspaceId: $w, baseModel: $b, suffix: $s }) { id workspaceId baseModel { id } } }`;

/** docs/domain.md: a fine-tuned model belongs to its workspace and is callable only with that workspace's keys. */
describe('fine-tuned models', () => {
  let account: ModelStudioAccount;
  let fineTuned: string;
  let keys: Record<'W' | 'W2' | 'W3 (open to all)' | 'D' | 'another account', CreatedKey>;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    const w2 = await createWorkspace(t.client, account.token, 'W2');
    const w3 = await createWorkspace(t.client, account.token, 'W3-open');
    await setAllModels(t.client, account.token, w3, 'OPEN');
    const W = await createKey(t.client, account.token, account.W);
    const W2 = await createKey(t.client, account.token, w2);
    const W3 = await createKey(t.client, account.token, w3);
    const D = await createKey(t.client, account.token, account.D);
    const other = await signUp(t.client);
    const otherD = await activateRegion(t.client, other.token);
    keys = { W, W2, 'W3 (open to all)': W3, D, 'another account': await createKey(t.client, other.token, otherD) };
  });

  it('refuses to fine-tune qwen-plus in W before finetune is authorized there', async () => {
    await authorizeModel(t.client, account.token, account.W, 'qwen-plus', { inference: true });
    const result = await t.client.request(CREATE_FINE_TUNED, { w: account.W, b: 'qwen-plus', s: 'early' }, { token: account.token });
    expectError(result, 'BAD_USER_INPUT', 'input.baseModel');
  });

  it('fine-tunes qwen-plus in W once finetune is authorized', async () => {
    await authorizeModel(t.client, account.token, account.W, 'qwen-plus', { finetune: true });
    const data = await t.client.ok<{ createFineTunedModel: { id: string; workspaceId: string; baseModel: { id: string } } }>(
      CREATE_FINE_TUNED,
      { w: account.W, b: 'qwen-plus', s: 'support' },
      account.token,
    );
    expect(data.createFineTunedModel).toMatchObject({ workspaceId: account.W, baseModel: { id: 'qwen-plus' } });
    fineTuned = data.createFineTunedModel.id;
    const listed = await t.client.ok<{ workspace: { fineTunedModels: unknown } }>(
      `query
($w: ID!) { workspace(id: $w) { fineTunedModels { id } } }`,
      { w: account.W },
      account.token,
    );
    expect(listed.workspace.fineTunedModels).toEqual([{ id: fineTuned }]);
  });

  it.each([
    ['W', 'ALLOWED'],
    ['W2', 'MODEL_NOT_AUTHORIZED'],
    ['W3 (open to all)', 'MODEL_NOT_AUTHORIZED'],
    ['D', 'MODEL_NOT_AUTHORIZED'],
    ['another account', 'MODEL_NOT_FOUND'],
  ] as const)('with a key of %s the fine-tuned model answers %s', async (workspace, expected) => {
    expect(await modelCall(t.client, keys[workspace].secret, fineTuned)).toBe(expected);
  });

  it('needs no authorization in its own workspace: still callable after W closes all models', async () => {
    await setAllModels(t.client, account.token, account.W, 'CLOSE');
    expect(await modelCall(t.client, keys.W.secret, 'qwen-plus')).toBe('MODEL_NOT_AUTHORIZED');
    expect(await modelCall(t.client, keys.W.secret, fineTuned)).toBe('ALLOWED');
  });

  it('cannot be authorized in another workspace of the account', async () => {
    const workspaces = await t.client.ok<{ workspaces: { edges: Array<{ node: { id: string; name: string } }> } }>(
      `{ workspaces { edges { node { id name } } } }`,
      {},
      account.token,
    );
    const w2 = defined(
      workspaces.workspaces.edges.find((e) => e.node.name === 'W2'),
      'the workspace W2',
    ).node.id;
    const result = await t.client.request(
      `mutation($w: ID!, $m: ID!) { setModelAuthorization(input: { workspaceId: $w, model: $m, inference: true }) { inference } }`,
      { w: w2, m: fineTuned },
      { token: account.token },
    );
    expectError(result, 'BAD_USER_INPUT', 'input.model');
    expect(await modelCall(t.client, keys.W2.secret, fineTuned)).toBe('MODEL_NOT_AUTHORIZED');
  });
});
