import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { attachPolicy, createRole, createUser, login, PASSWORD, signUp, type TestUser } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import {
  CREATE_WORKSPACE,
  createKey,
  createKnowledgeBase,
  modelStudioAccount,
  modelStudioUser,
  SET_MEMBER_PERMISSIONS,
  SET_MODEL_AUTHORIZATION,
  setPages,
  uniqueName,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/** src/audit/changes.ts: what each audited mutation says it changed, and where the request came from. */

interface ChangeView {
  field: string;
  before: string | null;
  after: string | null;
}

interface EventView {
  id: string;
  action: string;
  actorId: string | null;
  onBehalfOfId: string | null;
  via: string;
  resourceId: string | null;
  outcome: 'SUCCESS' | 'DENIED';
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: string;
  changes: ChangeView[];
}

/** A change with its JSON text read back: the values as they were. */
interface Change {
  field: string;
  before: unknown;
  after: unknown;
}

const EVENTS = `query($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    edges { node {
      id action actorId onBehalfOfId via resourceId outcome sourceIp userAgent requestId createdAt
      changes { field before after }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Filter = Partial<Record<'action' | 'actorId' | 'resourceId' | 'outcome' | 'since' | 'until', string>>;

const USER_AGENT = 'audit-changes-test/1.0 (vitest)';

const decode = (changes: ChangeView[]): Change[] =>
  changes.map((change) => ({
    field: change.field,
    before: change.before === null ? null : (JSON.parse(change.before) as unknown),
    after: change.after === null ? null : (JSON.parse(change.after) as unknown),
  }));

describe('audit events say what changed', () => {
  let account: ModelStudioAccount;

  /** A request as the console sends it: with a User-Agent. */
  async function send<T>(query: string, variables: Record<string, unknown>, token: string = account.token): Promise<T> {
    const result = await t.client.request<T>(query, variables, { token, headers: { 'user-agent': USER_AGENT } });
    if (result.errors?.length || !result.data) throw new Error(`Expected success, got ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  async function events(filter: Filter, first = 100, token = account.token): Promise<EventView[]> {
    const data = await t.client.ok<{ auditEvents: { edges: Array<{ node: EventView }> } }>(EVENTS, { first, filter }, token);
    return data.auditEvents.edges.map((edge) => edge.node);
  }

  /** The newest event of `action` (on `resourceId`), which must be a success. */
  async function newest(action: string, resourceId?: string, token = account.token): Promise<EventView> {
    const [event] = await events({ action, outcome: 'SUCCESS', ...(resourceId ? { resourceId } : {}) }, 1, token);
    return defined(event, `the newest ${action} event`);
  }

  const changesOf = async (action: string, resourceId?: string) => decode((await newest(action, resourceId)).changes);

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
  });

  describe('workspaces and members', () => {
    it('activateModelStudio: the default workspace it creates', async () => {
      const data = await send<{ activateModelStudio: { id: string } }>(
        `mutation { activateModelStudio(input: { region: AP_SOUTHEAST_1, acceptServiceAgreement: true }) { id } }`,
        {},
      );
      expect(await changesOf('activateModelStudio', data.activateModelStudio.id)).toEqual([
        { field: 'name', before: null, after: 'Default Workspace' },
        { field: 'region', before: null, after: 'ap-southeast-1' },
        { field: 'kind', before: null, after: 'DEFAULT' },
      ]);
    });

    it('createWorkspace and renameWorkspace: the name before and after', async () => {
      const name = uniqueName('ws');
      const id = (await send<{ createWorkspace: { id: string } }>(CREATE_WORKSPACE, { n: name, r: 'CN_BEIJING' })).createWorkspace.id;
      expect(await changesOf('createWorkspace', id)).toEqual([
        { field: 'name', before: null, after: name },
        { field: 'region', before: null, after: 'cn-beijing' },
        { field: 'kind', before: null, after: 'SUB' },
      ]);
      await send(`mutation($w: ID!, $n: String!) { renameWorkspace(input: { workspaceId: $w, name: $n }) { id } }`, {
        w: id,
        n: `${name}-renamed`,
      });
      expect(await changesOf('renameWorkspace', id)).toEqual([{ field: 'name', before: name, after: `${name}-renamed` }]);
    });

    it('registerModelStudioUser: registeredInModelStudio false → true', async () => {
      const user = await createUser(t.client, account.token, uniqueName('reg'));
      await send(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: user.id });
      expect(await changesOf('registerModelStudioUser', user.id)).toEqual([
        { field: 'registeredInModelStudio', before: false, after: true },
      ]);
    });

    it('setMemberPermissions: the member (always) and its pages, for a new member and for a change; removeMember: both gone', async () => {
      const member = await modelStudioUser(t.client, account, { name: uniqueName('member') });
      await send(SET_MEMBER_PERMISSIONS, { w: account.W, p: member.id, pages: ['MODEL_EXPERIENCE'] });
      expect(await changesOf('setMemberPermissions', account.W)).toEqual([
        { field: 'principal', before: null, after: member.id },
        { field: 'pages', before: null, after: ['MODEL_EXPERIENCE'] },
      ]);
      await send(SET_MEMBER_PERMISSIONS, { w: account.W, p: member.id, pages: ['MODEL_EXPERIENCE', 'API_KEY'] });
      expect(await changesOf('setMemberPermissions', account.W)).toEqual([
        { field: 'principal', before: member.id, after: member.id },
        { field: 'pages', before: ['MODEL_EXPERIENCE'], after: ['MODEL_EXPERIENCE', 'API_KEY'] },
      ]);
      // The same pages in another order change nothing: the member is still named.
      await send(SET_MEMBER_PERMISSIONS, { w: account.W, p: member.id, pages: ['API_KEY', 'MODEL_EXPERIENCE'] });
      expect(await changesOf('setMemberPermissions', account.W)).toEqual([{ field: 'principal', before: member.id, after: member.id }]);
      await send(`mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`, {
        w: account.W,
        p: member.id,
      });
      const removed = await changesOf('removeMember', account.W);
      expect(removed).toEqual([
        { field: 'principal', before: member.id, after: null },
        { field: 'pages', before: expect.arrayContaining(['MODEL_EXPERIENCE', 'API_KEY']), after: null },
      ]);
    });
  });

  describe('model authorization, rate limits and fine-tuning', () => {
    it('setModelAuthorization: the model (always) and each flag set, then each flag changed', async () => {
      await send(SET_MODEL_AUTHORIZATION, { w: account.W, m: 'qwen-plus', i: true, f: true, d: null });
      expect(await changesOf('setModelAuthorization', account.W)).toEqual([
        { field: 'model', before: null, after: 'qwen-plus' },
        { field: 'inference', before: null, after: true },
        { field: 'finetune', before: null, after: true },
        { field: 'deploy', before: null, after: false },
      ]);
      await send(SET_MODEL_AUTHORIZATION, { w: account.W, m: 'qwen-plus', i: null, f: null, d: true });
      expect(await changesOf('setModelAuthorization', account.W)).toEqual([
        { field: 'model', before: 'qwen-plus', after: 'qwen-plus' },
        { field: 'deploy', before: false, after: true },
      ]);
    });

    it('setAllModelsAccess: allModelsOpen before and after', async () => {
      const mutation = `mutation($w: ID!, $m: AllModelsAccessMode!) { setAllModelsAccess(input: { workspaceId: $w, mode: $m }) { id } }`;
      await send(mutation, { w: account.W, m: 'OPEN' });
      expect(await changesOf('setAllModelsAccess', account.W)).toEqual([{ field: 'allModelsOpen', before: false, after: true }]);
      await send(mutation, { w: account.W, m: 'CLOSE' });
      expect(await changesOf('setAllModelsAccess', account.W)).toEqual([{ field: 'allModelsOpen', before: true, after: false }]);
    });

    it('updateModelPermissions: one event per model, each with that model’s changes, from the same request', async () => {
      await send(
        `mutation($w: ID!) { updateModelPermissions(input: { workspaceId: $w, changes: [
          { model: "qwen-turbo", inference: OPEN, deploy: OPEN },
          { model: "qwen-plus", finetune: CLOSE }
        ] }) { id } }`,
        { w: account.W },
      );
      const [last, first] = await events({ action: 'updateModelPermissions' }, 2);
      const byModel = new Map([last, first].map((event) => [decode(defined(event, 'an event').changes)[0]?.after, event]));
      expect(decode(defined(byModel.get('qwen-turbo'), 'the qwen-turbo event').changes)).toEqual([
        { field: 'model', before: null, after: 'qwen-turbo' },
        { field: 'inference', before: null, after: true },
        { field: 'finetune', before: null, after: false },
        { field: 'deploy', before: null, after: true },
      ]);
      expect(decode(defined(byModel.get('qwen-plus'), 'the qwen-plus event').changes)).toEqual([
        { field: 'model', before: 'qwen-plus', after: 'qwen-plus' },
        { field: 'finetune', before: true, after: false },
      ]);
      expect(last?.requestId).toEqual(expect.stringMatching(/\S/));
      expect(last?.requestId).toBe(first?.requestId);
    });

    it('setModelRateLimit: the model and each limit set or merged; deleteModelRateLimit: every limit gone', async () => {
      const mutation = `mutation($w: ID!, $r: Int, $rp: Int, $u: Int, $up: Int) {
        setModelRateLimit(input: { workspaceId: $w, model: "qwen-plus", requestLimit: $r, requestLimitPeriodSeconds: $rp, usageLimit: $u, usageLimitPeriodSeconds: $up }) { usageLimit }
      }`;
      await send(mutation, { w: account.W, u: 1000, up: 60 });
      expect(await changesOf('setModelRateLimit', account.W)).toEqual([
        { field: 'model', before: null, after: 'qwen-plus' },
        { field: 'usageLimit', before: null, after: 1000 },
        { field: 'usageLimitPeriodSeconds', before: null, after: 60 },
      ]);
      await send(mutation, { w: account.W, r: 5, rp: 60, u: 2000 });
      expect(await changesOf('setModelRateLimit', account.W)).toEqual([
        { field: 'model', before: 'qwen-plus', after: 'qwen-plus' },
        { field: 'requestLimit', before: null, after: 5 },
        { field: 'requestLimitPeriodSeconds', before: null, after: 60 },
        { field: 'usageLimit', before: 1000, after: 2000 },
      ]);
      await send(`mutation($w: ID!) { deleteModelRateLimit(input: { workspaceId: $w, model: "qwen-plus" }) { id } }`, { w: account.W });
      expect(await changesOf('deleteModelRateLimit', account.W)).toEqual([
        { field: 'model', before: 'qwen-plus', after: null },
        { field: 'requestLimit', before: 5, after: null },
        { field: 'requestLimitPeriodSeconds', before: 60, after: null },
        { field: 'usageLimit', before: 2000, after: null },
        { field: 'usageLimitPeriodSeconds', before: 60, after: null },
      ]);
    });

    it('createFineTunedModel: its display name, base model and workspace', async () => {
      const data = await send<{ createFineTunedModel: { id: string; displayName: string } }>(
        `mutation($w: ID!) { createFineTunedModel(input: { workspaceId: $w, baseModel: "qwen-turbo", suffix: "audit" }) { id displayName } }`,
        { w: account.D },
      );
      expect(await changesOf('createFineTunedModel', data.createFineTunedModel.id)).toEqual([
        { field: 'displayName', before: null, after: data.createFineTunedModel.displayName },
        { field: 'baseModel', before: null, after: 'qwen-turbo' },
        { field: 'workspace', before: null, after: account.D },
      ]);
    });

    it('setWorkspaceBudget: monthlyLimit set, changed and cleared', async () => {
      const mutation = `mutation($w: ID!, $l: Float) { setWorkspaceBudget(input: { workspaceId: $w, monthlyLimit: $l }) { id } }`;
      await send(mutation, { w: account.W, l: 100 });
      expect(await changesOf('setWorkspaceBudget', account.W)).toEqual([{ field: 'monthlyLimit', before: null, after: 100 }]);
      await send(mutation, { w: account.W, l: 250.5 });
      expect(await changesOf('setWorkspaceBudget', account.W)).toEqual([{ field: 'monthlyLimit', before: 100, after: 250.5 }]);
      await send(mutation, { w: account.W, l: null });
      expect(await changesOf('setWorkspaceBudget', account.W)).toEqual([{ field: 'monthlyLimit', before: 250.5, after: null }]);
    });
  });

  describe('API keys and AccessKey pairs: settings and status, never secrets', () => {
    it('createApiKey, updateApiKey, disable/enable, rotateApiKey and deleteApiKey', async () => {
      const created = await send<{ createApiKey: { secret: string; apiKey: { id: string; prefix: string } } }>(
        `mutation($w: ID!) { createApiKey(input: { workspaceId: $w, description: "first", ipAllowlist: ["10.0.0.0/8"] }) { secret apiKey { id prefix } } }`,
        { w: account.W },
      );
      const { id, prefix } = created.createApiKey.apiKey;
      const secrets = [created.createApiKey.secret];
      expect(await changesOf('createApiKey', id)).toEqual([
        { field: 'workspace', before: null, after: account.W },
        { field: 'owner', before: null, after: account.rootId },
        { field: 'prefix', before: null, after: prefix },
        { field: 'description', before: null, after: 'first' },
        { field: 'modelScope', before: null, after: [] },
        { field: 'ipAllowlist', before: null, after: ['10.0.0.0/8'] },
        { field: 'status', before: null, after: 'ENABLED' },
      ]);

      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      await send(
        `mutation($id: ID!, $e: DateTime) { updateApiKey(input: { id: $id, description: "second", ipAllowlist: null, expiresAt: $e, modelScope: [] }) { id } }`,
        { id, e: expiresAt },
      );
      expect(await changesOf('updateApiKey', id)).toEqual([
        { field: 'description', before: 'first', after: 'second' },
        { field: 'ipAllowlist', before: ['10.0.0.0/8'], after: [] },
        { field: 'expiresAt', before: null, after: expiresAt },
      ]);

      const status = `mutation($id: ID!, $s: ApiKeyStatusSetting!) { setApiKeyStatus(input: { id: $id, status: $s }) { id } }`;
      await send(status, { id, s: 'DISABLED' });
      expect(await changesOf('disableApiKey', id)).toEqual([{ field: 'status', before: 'ENABLED', after: 'DISABLED' }]);
      await send(status, { id, s: 'ENABLED' });
      expect(await changesOf('enableApiKey', id)).toEqual([{ field: 'status', before: 'DISABLED', after: 'ENABLED' }]);

      const rotated = await send<{ rotateApiKey: { secret: string; apiKey: { prefix: string }; previousSecretExpiresAt: string } }>(
        `mutation($id: ID!) { rotateApiKey(input: { id: $id, gracePeriodSeconds: 600 }) { secret apiKey { prefix } previousSecretExpiresAt } }`,
        { id },
      );
      secrets.push(rotated.rotateApiKey.secret);
      expect(await changesOf('rotateApiKey', id)).toEqual([
        { field: 'prefix', before: prefix, after: rotated.rotateApiKey.apiKey.prefix },
        { field: 'previousSecretExpiresAt', before: null, after: rotated.rotateApiKey.previousSecretExpiresAt },
      ]);

      await send(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id });
      expect(await changesOf('deleteApiKey', id)).toEqual([
        { field: 'workspace', before: account.W, after: null },
        { field: 'owner', before: account.rootId, after: null },
        { field: 'prefix', before: rotated.rotateApiKey.apiKey.prefix, after: null },
        { field: 'description', before: 'second', after: null },
        { field: 'modelScope', before: [], after: null },
        { field: 'ipAllowlist', before: [], after: null },
        { field: 'expiresAt', before: expiresAt, after: null },
        { field: 'status', before: 'ENABLED', after: null },
      ]);

      const trail = JSON.stringify(await events({ resourceId: id }));
      for (const secret of secrets) {
        expect(trail).not.toContain(secret);
        expect(trail).not.toContain(secret.slice(3));
      }
    });

    it('createAccessKey, deactivateAccessKey, activateAccessKey and deleteAccessKey', async () => {
      const user = await createUser(t.client, account.token, uniqueName('ak'));
      const created = await send<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
        `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`,
        { p: user.id },
      );
      const id = created.createAccessKey.accessKey.id;
      expect(await changesOf('createAccessKey', id)).toEqual([
        { field: 'user', before: null, after: user.id },
        { field: 'status', before: null, after: 'ACTIVE' },
      ]);
      const status = `mutation($id: ID!, $s: AccessKeyStatus!) { setAccessKeyStatus(input: { id: $id, status: $s }) { id } }`;
      await send(status, { id, s: 'INACTIVE' });
      expect(await changesOf('deactivateAccessKey', id)).toEqual([{ field: 'status', before: 'ACTIVE', after: 'INACTIVE' }]);
      await send(status, { id, s: 'ACTIVE' });
      expect(await changesOf('activateAccessKey', id)).toEqual([{ field: 'status', before: 'INACTIVE', after: 'ACTIVE' }]);
      await send(`mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`, { id });
      expect(await changesOf('deleteAccessKey', id)).toEqual([
        { field: 'user', before: user.id, after: null },
        { field: 'status', before: 'ACTIVE', after: null },
      ]);
      expect(JSON.stringify(await events({ resourceId: id }))).not.toContain(created.createAccessKey.secret);
    });
  });

  describe('identities: users, roles, policies, passwords and sessions', () => {
    let user: TestUser;

    it('createRamUser: name and display name, and that a password was set (without it)', async () => {
      const name = uniqueName('ram');
      const data = await send<{ createRamUser: { id: string; loginName: string } }>(
        `mutation($n: String!, $p: String!) { createRamUser(input: { name: $n, displayName: "Ram User", password: $p }) { id loginName } }`,
        { n: name, p: PASSWORD },
      );
      const { id, loginName } = data.createRamUser;
      user = { id, name, loginName, token: await login(t.client, loginName) };
      expect(await changesOf('createRamUser', user.id)).toEqual([
        { field: 'name', before: null, after: name },
        { field: 'displayName', before: null, after: 'Ram User' },
        { field: 'password', before: null, after: null },
      ]);
    });

    it('disableRamUser, enableRamUser: the status before and after', async () => {
      await send(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: user.id });
      expect(await changesOf('disableRamUser', user.id)).toEqual([{ field: 'status', before: 'ACTIVE', after: 'DISABLED' }]);
      await send(`mutation($id: ID!) { enableRamUser(id: $id) { id } }`, { id: user.id });
      expect(await changesOf('enableRamUser', user.id)).toEqual([{ field: 'status', before: 'DISABLED', after: 'ACTIVE' }]);
      user = { ...user, token: await login(t.client, user.loginName) };
    });

    it('attachPolicy and detachPolicy: the policy, and nothing when it already was so', async () => {
      const mutation = (action: string) =>
        `mutation($p: ID!) { ${action}(input: { principalId: $p, policy: AliyunBailianFullAccess }) { id } }`;
      await send(mutation('attachPolicy'), { p: user.id });
      expect(await changesOf('attachPolicy', user.id)).toEqual([{ field: 'policy', before: null, after: 'AliyunBailianFullAccess' }]);
      await send(mutation('attachPolicy'), { p: user.id });
      expect(await changesOf('attachPolicy', user.id)).toEqual([]);
      await send(mutation('detachPolicy'), { p: user.id });
      expect(await changesOf('detachPolicy', user.id)).toEqual([{ field: 'policy', before: 'AliyunBailianFullAccess', after: null }]);
    });

    it('createRamRole and updateRamRole: description and trusted users before and after', async () => {
      const other = await createUser(t.client, account.token, uniqueName('trusted'));
      const name = uniqueName('role');
      const role = (
        await send<{ createRamRole: { id: string } }>(
          `mutation($n: String!, $u: [ID!]) { createRamRole(input: { name: $n, description: "ops", trustedUserIds: $u }) { id } }`,
          { n: name, u: [user.id] },
        )
      ).createRamRole.id;
      expect(await changesOf('createRamRole', role)).toEqual([
        { field: 'name', before: null, after: name },
        { field: 'description', before: null, after: 'ops' },
        { field: 'trustedUserIds', before: null, after: [user.id] },
      ]);
      await send(
        `mutation($id: ID!, $u: [ID!]) { updateRamRole(input: { id: $id, description: "operations", trustedUserIds: $u }) { id } }`,
        {
          id: role,
          u: [other.id],
        },
      );
      expect(await changesOf('updateRamRole', role)).toEqual([
        { field: 'description', before: 'ops', after: 'operations' },
        { field: 'trustedUserIds', before: [user.id], after: [other.id] },
      ]);
      await send(`mutation($id: ID!) { updateRamRole(input: { id: $id, description: "ops again" }) { id } }`, { id: role });
      expect(await changesOf('updateRamRole', role)).toEqual([{ field: 'description', before: 'operations', after: 'ops again' }]);
      await send(`mutation($id: ID!) { deleteRamRole(id: $id) { id } }`, { id: role });
      expect(await changesOf('deleteRamRole', role)).toEqual([{ field: 'status', before: 'ACTIVE', after: 'DELETED' }]);
    });

    it('changePassword, resetRamUserPassword and revokeSessions: the fields, never a value', async () => {
      const newPassword = 'a brand new passphrase for audit';
      await send(
        `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { id } }`,
        { c: PASSWORD, n: newPassword },
        user.token,
      );
      const passwordChanges = [
        { field: 'password', before: null, after: null },
        { field: 'sessions', before: null, after: null },
      ];
      expect(await changesOf('changePassword', user.id)).toEqual(passwordChanges);
      const reset = 'the administrator chose this one';
      await send(`mutation($id: ID!, $n: String!) { resetRamUserPassword(input: { id: $id, newPassword: $n }) { id } }`, {
        id: user.id,
        n: reset,
      });
      expect(await changesOf('resetRamUserPassword', user.id)).toEqual(passwordChanges);
      await send(`mutation($id: ID!) { revokeSessions(principalId: $id) { id } }`, { id: user.id });
      expect(await changesOf('revokeSessions', user.id)).toEqual([{ field: 'sessions', before: null, after: null }]);
      const trail = JSON.stringify(await events({ resourceId: user.id }));
      for (const secret of [PASSWORD, newPassword, reset, '$scrypt', 'scrypt']) expect(trail).not.toContain(secret);
    });

    it('deleteRamUser: the status', async () => {
      await send(`mutation($id: ID!) { deleteRamUser(id: $id) { id } }`, { id: user.id });
      expect(await changesOf('deleteRamUser', user.id)).toEqual([{ field: 'status', before: 'ACTIVE', after: 'DELETED' }]);
    });

    it('signUp: the new account’s name and e-mail, in its own trail', async () => {
      const other = await signUp(t.client, uniqueName('signup'));
      const event = await newest('signUp', other.accountId, other.token);
      expect(decode(event.changes)).toEqual([
        { field: 'name', before: null, after: other.accountName },
        { field: 'email', before: null, after: other.email },
      ]);
      expect(event.via).toBe('ANONYMOUS');
    });
  });

  it('createKnowledgeBase and deleteKnowledgeBase: name, description and workspace', async () => {
    const name = uniqueName('kb');
    const id = await createKnowledgeBase(t.client, account.token, account.W, name);
    expect(await changesOf('createKnowledgeBase', id)).toEqual([
      { field: 'name', before: null, after: name },
      { field: 'description', before: null, after: '' },
      { field: 'workspace', before: null, after: account.W },
    ]);
    await send(`mutation($id: ID!) { deleteKnowledgeBase(id: $id) { id } }`, { id });
    expect(await changesOf('deleteKnowledgeBase', id)).toEqual([
      { field: 'name', before: name, after: null },
      { field: 'description', before: '', after: null },
      { field: 'workspace', before: account.W, after: null },
    ]);
  });

  it('a denial and a change that sets no field (assumeRole) carry no changes', async () => {
    const plain = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['MODEL_EXPERIENCE'] });
    const denied = await t.client.request(CREATE_WORKSPACE, { n: 'nope', r: 'CN_BEIJING' }, { token: plain.token });
    expect(outcomeOf(denied)).toBe('FORBIDDEN');
    const [denial] = await events({ action: 'createWorkspace', outcome: 'DENIED' }, 1);
    expect(denial).toMatchObject({ actorId: plain.id, changes: [] });

    const role = await createRole(t.client, account.token, [plain.id]);
    await send(`mutation($id: ID!) { assumeRole(roleId: $id) { token } }`, { id: role.id }, plain.token);
    expect((await newest('assumeRole', role.id)).changes).toEqual([]);
  });

  describe('where each request came from', () => {
    it('the credential used: SESSION, API_KEY, ACCESS_KEY, ROLE_SESSION and ANONYMOUS, as an enum', async () => {
      const fa = await modelStudioUser(t.client, account, {
        workspaceId: account.W,
        pages: ['ADMINISTRATOR'],
        policies: ['AliyunBailianFullAccess'],
      });
      const viaOf = async (token: string) => {
        const id = await createKnowledgeBase(t.client, token, account.W, uniqueName('via'));
        return (await newest('createKnowledgeBase', id)).via;
      };
      expect(await viaOf(fa.token)).toBe('SESSION');
      expect(await viaOf((await createKey(t.client, fa.token, account.W)).secret)).toBe('API_KEY');
      const pair = await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
        `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`,
        { p: fa.id },
        account.token,
      );
      expect(await viaOf(`${pair.createAccessKey.accessKey.id}:${pair.createAccessKey.secret}`)).toBe('ACCESS_KEY');
      const role = await createRole(t.client, account.token, [fa.id]);
      await attachPolicy(t.client, account.token, role.id, 'AliyunBailianFullAccess');
      await t.client.ok(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: role.id }, account.token);
      await setPages(t.client, account.token, account.W, role.id, ['ADMINISTRATOR']);
      const roleToken = (
        await t.client.ok<{ assumeRole: { token: string } }>(
          `mutation($id: ID!) { assumeRole(roleId: $id) { token } }`,
          { id: role.id },
          fa.token,
        )
      ).assumeRole.token;
      expect(await viaOf(roleToken)).toBe('ROLE_SESSION');

      const failed = await t.client.request(
        `mutation($l: String!) { login(input: { loginName: $l, password: "wrong password!" }) { token } }`,
        {
          l: fa.loginName,
        },
      );
      expect(outcomeOf(failed)).toBe('UNAUTHENTICATED');
      const [failure] = await events({ action: 'login', outcome: 'DENIED', resourceId: fa.id }, 1);
      expect(failure).toMatchObject({ via: 'ANONYMOUS', actorId: null, changes: [] });

      const type = await t.client.ok<{
        __type: { fields: Array<{ name: string; type: { kind: string; ofType: { kind: string; name: string } } }> };
      }>(`{ __type(name: "AuditEvent") { fields { name type { kind ofType { kind name } } } } }`, {}, account.token);
      expect(type.__type.fields.find((field) => field.name === 'via')?.type).toEqual({
        kind: 'NON_NULL',
        ofType: { kind: 'ENUM', name: 'CredentialUsed' },
      });
    });

    it('sourceIp, userAgent (cut to 256 characters) and requestId (one per request)', async () => {
      await send(CREATE_WORKSPACE, { n: uniqueName('origin'), r: 'CN_BEIJING' });
      const first = await newest('createWorkspace');
      expect(first).toMatchObject({ sourceIp: '127.0.0.1', userAgent: USER_AGENT });
      expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);

      const long = `long-agent/${'x'.repeat(400)}`;
      const result = await t.client.request(
        CREATE_WORKSPACE,
        { n: uniqueName('origin'), r: 'CN_BEIJING' },
        { token: account.token, headers: { 'user-agent': long } },
      );
      expect(outcomeOf(result)).toBe('OK');
      const second = await newest('createWorkspace');
      expect(second.userAgent).toBe(long.slice(0, 256));
      expect(second.requestId).not.toBe(first.requestId);

      // A denial records the same.
      const plain = await modelStudioUser(t.client, account, { workspaceId: account.W });
      await t.client.request(
        CREATE_WORKSPACE,
        { n: 'nope', r: 'CN_BEIJING' },
        { token: plain.token, headers: { 'user-agent': USER_AGENT } },
      );
      const [denial] = await events({ action: 'createWorkspace', outcome: 'DENIED', actorId: plain.id }, 1);
      expect(denial).toMatchObject({ sourceIp: '127.0.0.1', userAgent: USER_AGENT, requestId: expect.stringMatching(/\S/) });
    });
  });

  describe('filters', () => {
    let marks: EventView[];

    beforeAll(async () => {
      // Three events a few milliseconds apart, for the time range.
      marks = [];
      for (let i = 0; i < 3; i++) {
        const id = await createKnowledgeBase(t.client, account.token, account.W, uniqueName(`mark${i}`));
        marks.push(await newest('createKnowledgeBase', id));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    });

    it('actorId, action, resourceId and outcome each narrow the trail', async () => {
      const all = await events({}, 100);
      expect(new Set(all.map((event) => event.action)).size).toBeGreaterThan(5);
      const b = defined(marks[1], 'the second mark');
      const byAction = await events({ action: 'createKnowledgeBase' });
      expect(byAction.length).toBeGreaterThanOrEqual(3);
      expect(byAction.every((event) => event.action === 'createKnowledgeBase')).toBe(true);
      expect((await events({ resourceId: defined(b.resourceId, 'its resource') })).map((event) => event.id)).toEqual([b.id]);
      const byActor = await events({ actorId: account.rootId });
      expect(byActor.length).toBeGreaterThan(0);
      expect(byActor.every((event) => event.actorId === account.rootId)).toBe(true);
      const denied = await events({ outcome: 'DENIED' });
      expect(denied.length).toBeGreaterThan(0);
      expect(denied.every((event) => event.outcome === 'DENIED')).toBe(true);
    });

    it('since (inclusive) and until (exclusive) select a time range', async () => {
      const [a, b, c] = [0, 1, 2].map((i) => defined(marks[i], `mark ${i}`)) as [EventView, EventView, EventView];
      expect(Date.parse(a.createdAt)).toBeLessThan(Date.parse(b.createdAt));
      expect(Date.parse(b.createdAt)).toBeLessThan(Date.parse(c.createdAt));
      const ids = async (filter: Filter) => (await events({ action: 'createKnowledgeBase', ...filter })).map((event) => event.id);
      expect(await ids({ since: b.createdAt, until: c.createdAt })).toEqual([b.id]);
      expect(await ids({ since: a.createdAt, until: c.createdAt })).toEqual([b.id, a.id]);
      const sinceB = await ids({ since: b.createdAt });
      expect(sinceB).toContain(c.id);
      expect(sinceB).toContain(b.id);
      expect(sinceB).not.toContain(a.id);
      const untilB = await ids({ until: b.createdAt });
      expect(untilB).toContain(a.id);
      expect(untilB).not.toContain(b.id);
    });

    it.each([
      ['an action over 128 characters', { action: 'a'.repeat(129) }, 'filter.action'],
      ['until before since', { since: '2026-12-06T12:00:00.000Z', until: '2026-12-06T11:00:00.000Z' }, 'filter.until'],
      ['until equal to since', { since: '2026-12-06T12:00:00.000Z', until: '2026-12-06T12:00:00.000Z' }, 'filter.until'],
      ['a since past the year 9999', { since: '+275000-01-01T00:00:00.000Z' }, 'filter.since'],
    ])('%s is BAD_USER_INPUT', async (_case, filter, field) => {
      const result = await t.client.request(EVENTS, { first: 5, filter }, { token: account.token });
      expect(outcomeOf(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.extensions?.field).toBe(field);
    });
  });
});
