import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import { dataOf, errorCode, firstError } from '../helpers/graphql-client.js';
import {
  auditEvents,
  authorizeModel,
  createKey,
  createWorkspace,
  expectError,
  modelAuthorizations,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  setPages,
  tableDigest,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

type Change = { model: string; inference?: string; finetune?: string; deploy?: string };
type Authorizations = Record<string, { inference: boolean; finetune: boolean; deploy: boolean }>;

const UPDATE = `mutation($w: ID!, $changes: [ModelPermissionChangeInput!]!) {
  updateModelPermissions(input: { workspaceId: $w, changes: $changes }) {
    id
    modelAuthorizations(first: 100) { edges { node { model { id } inference finetune deploy } } }
  }
}`;

interface UpdateData {
  updateModelPermissions: {
    id: string;
    modelAuthorizations: { edges: Array<{ node: { model: { id: string }; inference: boolean; finetune: boolean; deploy: boolean } }> };
  } | null;
}

const update = (token: string, workspaceId: string, changes: Change[]) =>
  t.client.request<UpdateData>(UPDATE, { w: workspaceId, changes }, { token });

/** The authorizations a successful answer carries, by model. */
function answered(data: UpdateData): Authorizations {
  const workspace = data.updateModelPermissions;
  if (!workspace) throw new Error('updateModelPermissions answered null');
  return Object.fromEntries(
    workspace.modelAuthorizations.edges.map((e) => [
      e.node.model.id,
      { inference: e.node.inference, finetune: e.node.finetune, deploy: e.node.deploy },
    ]),
  );
}

const successEvents = async (account: ModelStudioAccount, workspaceId: string) =>
  auditEvents(t.client, account.token, { action: 'updateModelPermissions', resourceId: workspaceId, outcome: 'SUCCESS' });

/** The spec's "Additions": updateModelPermissions opens, closes or keeps capabilities of 1 to 20 models, all or nothing. */
describe('updateModelPermissions', () => {
  let account: ModelStudioAccount;
  let fullAccess: TestUser;
  let administrator: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    fullAccess = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
    administrator = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['ADMINISTRATOR'] });
  });

  it('applies a batch of OPEN, CLOSE and KEEP and answers the workspace with its authorizations', async () => {
    const w = await createWorkspace(t.client, account.token);
    await authorizeModel(t.client, account.token, w, 'qwen-plus', { inference: true, finetune: true, deploy: false });
    await authorizeModel(t.client, account.token, w, 'deepseek-r1', { inference: true, deploy: true });

    const result = await update(account.token, w, [
      { model: 'qwen-max', inference: 'OPEN' },
      { model: 'qwen-plus', inference: 'CLOSE', finetune: 'KEEP', deploy: 'OPEN' },
      { model: 'qwen-turbo', inference: 'OPEN', finetune: 'OPEN', deploy: 'CLOSE' },
      { model: 'deepseek-r1', deploy: 'CLOSE' },
    ]);
    const expected: Authorizations = {
      'qwen-max': { inference: true, finetune: false, deploy: false },
      'qwen-plus': { inference: false, finetune: true, deploy: true },
      'qwen-turbo': { inference: true, finetune: true, deploy: false },
      'deepseek-r1': { inference: true, finetune: false, deploy: false },
    };
    expect(answered(dataOf(result))).toEqual(expected);
    expect(dataOf(result).updateModelPermissions?.id).toBe(w);
    expect(await modelAuthorizations(t.client, account.token, w)).toEqual(expected);

    const key = await createKey(t.client, account.token, w);
    expect(await modelCall(t.client, key.secret, 'qwen-max')).toBe('ALLOWED');
    expect(await modelCall(t.client, key.secret, 'qwen-plus')).toBe('MODEL_NOT_AUTHORIZED');
  });

  it('KEEP, written or left out, leaves a capability as it was', async () => {
    const w = await createWorkspace(t.client, account.token);
    await authorizeModel(t.client, account.token, w, 'qwen-plus', { inference: true, finetune: true, deploy: true });
    await authorizeModel(t.client, account.token, w, 'qwen-turbo', { inference: false, finetune: true, deploy: false });

    dataOf(
      await update(fullAccess.token, w, [
        { model: 'qwen-plus', inference: 'KEEP', finetune: 'CLOSE' },
        { model: 'qwen-turbo', deploy: 'OPEN' },
      ]),
    );
    expect(await modelAuthorizations(t.client, account.token, w)).toEqual({
      'qwen-plus': { inference: true, finetune: false, deploy: true },
      'qwen-turbo': { inference: false, finetune: true, deploy: true },
    });
  });

  it('CLOSE of a capability the model does not support is accepted (it stays off), as setModelAuthorization accepts false', async () => {
    const w = await createWorkspace(t.client, account.token);
    dataOf(await update(account.token, w, [{ model: 'qwen-max', inference: 'OPEN', finetune: 'CLOSE' }]));
    expect(await modelAuthorizations(t.client, account.token, w)).toEqual({
      'qwen-max': { inference: true, finetune: false, deploy: false },
    });
  });

  describe('refusals change nothing', () => {
    let w: string;
    let before: string;
    const FIVE: Change[] = [
      { model: 'qwen-max', inference: 'OPEN' },
      { model: 'qwen-plus', inference: 'CLOSE', deploy: 'OPEN' },
      { model: 'qwen-turbo', finetune: 'OPEN' },
      { model: 'deepseek-r1', deploy: 'OPEN' },
      { model: 'qwen-vl-max', inference: 'OPEN' },
    ];

    beforeAll(async () => {
      w = await createWorkspace(t.client, account.token);
      await authorizeModel(t.client, account.token, w, 'qwen-plus', { inference: true });
      await setPages(t.client, account.token, w, administrator.id, ['ADMINISTRATOR']);
      before = await tableDigest(t.database.db, 'model_authorization', sql`workspace_id = ${w}`);
    });

    const unchanged = async () => {
      expect(await tableDigest(t.database.db, 'model_authorization', sql`workspace_id = ${w}`)).toBe(before);
      expect(await modelAuthorizations(t.client, account.token, w)).toEqual({
        'qwen-plus': { inference: true, finetune: false, deploy: false },
      });
      expect(await successEvents(account, w)).toEqual([]);
    };

    it('no change at all: BAD_USER_INPUT naming input.changes', async () => {
      expectError(await update(account.token, w, []), 'BAD_USER_INPUT', 'input.changes');
      await unchanged();
    });

    it('21 changes: BAD_USER_INPUT naming input.changes', async () => {
      const changes = Array.from({ length: 21 }, (_, i) => ({ model: `model-${i}`, inference: 'OPEN' }));
      expectError(await update(account.token, w, changes), 'BAD_USER_INPUT', 'input.changes');
      await unchanged();
    });

    it('20 changes are within the limit (refused here only for the unknown models, not for their number)', async () => {
      const changes = Array.from({ length: 20 }, (_, i) => ({ model: `model-${i}`, inference: 'OPEN' }));
      expect(errorCode(await update(account.token, w, changes))).toBe('NOT_FOUND');
      await unchanged();
    });

    it('a model twice: BAD_USER_INPUT naming the second occurrence', async () => {
      const result = await update(account.token, w, [
        { model: 'qwen-max', inference: 'OPEN' },
        { model: 'qwen-turbo', finetune: 'OPEN' },
        { model: 'qwen-max', inference: 'CLOSE' },
      ]);
      expectError(result, 'BAD_USER_INPUT', 'input.changes[2].model');
      await unchanged();
    });

    it('a change with every capability KEEP: BAD_USER_INPUT naming it', async () => {
      const result = await update(account.token, w, [
        { model: 'qwen-max', inference: 'OPEN' },
        { model: 'qwen-turbo', inference: 'KEEP', finetune: 'KEEP', deploy: 'KEEP' },
      ]);
      expectError(result, 'BAD_USER_INPUT', 'input.changes[1]');
      const leftOut = await update(account.token, w, [{ model: 'qwen-turbo' }]);
      expectError(leftOut, 'BAD_USER_INPUT', 'input.changes[0]');
      await unchanged();
    });

    it('the fifth of five changes OPENs a capability its model lacks: BAD_USER_INPUT, none of the five applied', async () => {
      const result = await update(account.token, w, [...FIVE.slice(0, 4), { model: 'qwen-vl-max', inference: 'OPEN', deploy: 'OPEN' }]);
      expectError(result, 'BAD_USER_INPUT', 'input.changes[4].deploy');
      await unchanged();
    });

    it('the third of five changes names an unknown model: NOT_FOUND, none of the five applied', async () => {
      const changes = [...FIVE];
      changes[2] = { model: 'no-such-model', inference: 'OPEN' };
      const result = await update(account.token, w, changes);
      expect(errorCode(result)).toBe('NOT_FOUND');
      expect(firstError(result).message).toContain('input.changes[2]');
      await unchanged();
    });

    it('a malformed model name: BAD_USER_INPUT naming it', async () => {
      const changes = [...FIVE];
      changes[3] = { model: 'not a name!', inference: 'OPEN' };
      expectError(await update(account.token, w, changes), 'BAD_USER_INPUT', 'input.changes[3].model');
      await unchanged();
    });

    it('another account fine-tuned model reads as missing: NOT_FOUND', async () => {
      const other = await modelStudioAccount(t.client);
      await authorizeModel(t.client, other.token, other.W, 'qwen-plus', { finetune: true });
      const tuned = await t.client.ok<{ createFineTunedModel: { id: string } }>(
        `mutation($w: ID!) { createFineTunedModel(input: { workspaceId: $w, baseModel: "qwen-plus", suffix: "theirs" }) { id } }`,
        { w: other.W },
        other.token,
      );
      const result = await update(account.token, w, [...FIVE.slice(0, 4), { model: tuned.createFineTunedModel.id, inference: 'OPEN' }]);
      expect(errorCode(result)).toBe('NOT_FOUND');
      await unchanged();
    });

    it('a caller without authorize_model (a workspace ADMINISTRATOR without policy): FORBIDDEN', async () => {
      const result = await update(administrator.token, w, FIVE);
      expect(errorCode(result)).toBe('FORBIDDEN');
      expect(dataOf(result).updateModelPermissions).toBeNull();
      await unchanged();
    });

    it('an API key of the workspace: FORBIDDEN', async () => {
      const key = await createKey(t.client, account.token, w);
      const result = await update(key.secret, w, FIVE);
      expect(errorCode(result)).toBe('FORBIDDEN');
      await unchanged();
    });

    it('another account (its root) naming this workspace: NOT_FOUND', async () => {
      const other = await modelStudioAccount(t.client);
      const result = await update(other.token, w, FIVE);
      expect(errorCode(result)).toBe('NOT_FOUND');
      await unchanged();
    });
  });

  it('the default workspace is refused as setModelAuthorization refuses it', async () => {
    const before = await tableDigest(t.database.db, 'model_authorization', sql`workspace_id = ${account.D}`);
    const single = await t.client.request(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: false }) { inference } }`,
      { w: account.D },
      { token: account.token },
    );
    expectError(single, 'BAD_USER_INPUT', 'input.workspaceId');
    expectError(await update(account.token, account.D, [{ model: 'qwen-max', inference: 'CLOSE' }]), 'BAD_USER_INPUT', 'input.workspaceId');
    expect(await tableDigest(t.database.db, 'model_authorization', sql`workspace_id = ${account.D}`)).toBe(before);
  });

  it('records one audit event per change, all naming the workspace and the actor', async () => {
    const w = await createWorkspace(t.client, account.token);
    dataOf(
      await update(fullAccess.token, w, [
        { model: 'qwen-max', inference: 'OPEN' },
        { model: 'qwen-plus', finetune: 'OPEN' },
        { model: 'qwen-turbo', deploy: 'OPEN' },
      ]),
    );
    const events = await successEvents(account, w);
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event).toMatchObject({
        action: 'updateModelPermissions',
        actorId: fullAccess.id,
        resourceId: w,
        via: 'SESSION',
        reason: null,
      });
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(3);

    dataOf(await update(account.token, w, [{ model: 'qwen-max', inference: 'CLOSE' }]));
    const after = await successEvents(account, w);
    expect(after).toHaveLength(4);
    expect(after[0]).toMatchObject({ actorId: account.rootId });
  });
});
