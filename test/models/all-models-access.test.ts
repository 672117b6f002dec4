import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeModel,
  createKey,
  modelAuthorizations,
  modelCall,
  modelStudioAccount,
  setAllModels,
  uniqueName,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/** docs/domain.md "Models": open all covers models added later; close all clears every per-model inference grant. */
describe('setAllModelsAccess', () => {
  let account: ModelStudioAccount;
  let key: CreatedKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    key = await createKey(t.client, account.token, account.W);
  });

  it('CLOSE, OPEN, CLOSE: a model authorized before is no longer callable and shows inference false', async () => {
    await authorizeModel(t.client, account.token, account.W, 'qwen-max', { inference: true });
    await authorizeModel(t.client, account.token, account.W, 'qwen-plus', { inference: true, finetune: true, deploy: true });
    expect(await modelCall(t.client, key.secret, 'qwen-max')).toBe('ALLOWED');
    expect(await modelCall(t.client, key.secret, 'qwen-turbo')).toBe('MODEL_NOT_AUTHORIZED');

    const sequence: Array<['OPEN' | 'CLOSE', Record<string, string>]> = [
      ['CLOSE', { 'qwen-max': 'MODEL_NOT_AUTHORIZED', 'qwen-plus': 'MODEL_NOT_AUTHORIZED', 'qwen-turbo': 'MODEL_NOT_AUTHORIZED' }],
      ['OPEN', { 'qwen-max': 'ALLOWED', 'qwen-plus': 'ALLOWED', 'qwen-turbo': 'ALLOWED' }],
      ['CLOSE', { 'qwen-max': 'MODEL_NOT_AUTHORIZED', 'qwen-plus': 'MODEL_NOT_AUTHORIZED', 'qwen-turbo': 'MODEL_NOT_AUTHORIZED' }],
    ];
    for (const [mode, expected] of sequence) {
      const workspace = await setAllModels(t.client, account.token, account.W, mode);
      expect(workspace.allModelsOpen).toBe(mode === 'OPEN');
      const answers: Record<string, string> = {};
      for (const model of Object.keys(expected)) answers[model] = await modelCall(t.client, key.secret, model);
      expect({ mode, answers }).toEqual({ mode, answers: expected });
    }

    const authorizations = await modelAuthorizations(t.client, account.token, account.W);
    expect(authorizations['qwen-max']).toMatchObject({ inference: false });
    // Close all turns inference off; other capabilities keep their grants.
    expect(authorizations['qwen-plus']).toEqual({ inference: false, finetune: true, deploy: true });
  });

  it('after CLOSE a model needs a fresh per-model grant, which works again', async () => {
    await authorizeModel(t.client, account.token, account.W, 'qwen-max', { inference: true });
    expect(await modelCall(t.client, key.secret, 'qwen-max')).toBe('ALLOWED');
    expect(await modelCall(t.client, key.secret, 'qwen-plus')).toBe('MODEL_NOT_AUTHORIZED');
    await setAllModels(t.client, account.token, account.W, 'CLOSE');
    expect(await modelCall(t.client, key.secret, 'qwen-max')).toBe('MODEL_NOT_AUTHORIZED');
  });

  it('OPEN covers a standard model added to the catalog afterwards; CLOSE takes it away again', async () => {
    const newModel = uniqueName('qwen-new');
    await setAllModels(t.client, account.token, account.W, 'OPEN');
    await t.database.db
      .insertInto('model')
      .values({
        id: newModel,
        display_name: 'Qwen New',
        description: 'Added after OPEN.',
        supports_inference: true,
        supports_finetune: false,
        supports_deploy: false,
      })
      .execute();

    const catalog = await t.client.ok<{ models: Array<{ id: string }> }>(`{ models { id } }`, {}, account.token);
    expect(catalog.models.map((m) => m.id)).toContain(newModel);
    expect(await modelCall(t.client, key.secret, newModel)).toBe('ALLOWED');
    const authorizations = await t.client.ok<{ workspace: { allModelsOpen: boolean } }>(
      `query($w: ID!) { workspace(id: $w) { allModelsOpen } }`,
      { w: account.W },
      account.token,
    );
    expect(authorizations.workspace.allModelsOpen).toBe(true);

    await setAllModels(t.client, account.token, account.W, 'CLOSE');
    expect(await modelCall(t.client, key.secret, newModel)).toBe('MODEL_NOT_AUTHORIZED');
  });

  it('a model added to the catalog while closed is not callable until authorized', async () => {
    const later = uniqueName('qwen-later');
    await t.database.db
      .insertInto('model')
      .values({
        id: later,
        display_name: 'Qwen Later',
        description: '',
        supports_inference: true,
        supports_finetune: false,
        supports_deploy: false,
      })
      .execute();
    expect(await modelCall(t.client, key.secret, later)).toBe('MODEL_NOT_AUTHORIZED');
    await authorizeModel(t.client, account.token, account.W, later, { inference: true });
    expect(await modelCall(t.client, key.secret, later)).toBe('ALLOWED');
  });
});
