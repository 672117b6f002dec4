import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { PASSWORD, assumeRole, attachPolicy, createRole, createUser, login, signUp, type TestUser } from '../helpers/fixtures.js';
import { dataOf, outcomeOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import {
  auditEvents,
  authorizeModel,
  createKey,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { VIEWER, expectError, uniqueName, type ViewerData } from './support.js';

/**
 * Passwords and sessions (docs: /work/shared/spec/api.md "Additions" → "Identity"):
 * `changePassword` ends the principal's other sessions and keeps the one that made the change;
 * `resetRamUserPassword` ends every session of the user; `revokeSessions` ends every session of a
 * principal (role sessions a user assumed included) while its API keys and AccessKey pairs go on.
 */
const t = gatewayForThisFile();

const NEW_PASSWORD = 'a brand new passphrase 1';
const OTHER_PASSWORD = 'yet another passphrase 2';
const MODEL = 'qwen-max';

const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { id kind } }`;
const RESET_PASSWORD = `mutation($input: ResetRamUserPasswordInput!) { resetRamUserPassword(input: $input) { id kind loginName } }`;
const REVOKE_SESSIONS = `mutation($id: ID!) { revokeSessions(principalId: $id) { id kind } }`;
const CREATE_ACCESS_KEY = `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`;

type ChangePasswordData = { changePassword: { id: string; kind: string } | null };
type ResetPasswordData = { resetRamUserPassword: { id: string; kind: string; loginName: string } | null };
type RevokeSessionsData = { revokeSessions: { id: string; kind: string } | null };

const changePassword = (token: string, currentPassword: string, newPassword: string) =>
  t.client.request<ChangePasswordData>(CHANGE_PASSWORD, { input: { currentPassword, newPassword } }, { token });
const resetPassword = (token: string, id: string, newPassword: string) =>
  t.client.request<ResetPasswordData>(RESET_PASSWORD, { input: { id, newPassword } }, { token });
const revokeSessions = (token: string, id: string) => t.client.request<RevokeSessionsData>(REVOKE_SESSIONS, { id }, { token });

/** What the credential does on its next request: the acting principal's ID, or the error code. */
async function actsAs(token: string): Promise<string> {
  const result = await t.client.request<ViewerData>(VIEWER, {}, { token });
  if (result.errors?.length) return outcomeOf(result);
  return dataOf(result).viewer.principal.id;
}

/** Whether `password` signs `loginName` in: 'OK' or the error code. */
async function loginOutcome(loginName: string, password: string): Promise<string> {
  const result = await t.client.request<{ login: { token: string } | null }>(
    `mutation($input: LoginInput!) { login(input: $input) { token } }`,
    { input: { loginName, password } },
  );
  return outcomeOf(result);
}

/** The mutation answered without errors, with the data at `field`. */
function succeeded<T>(result: GraphQLResponse<Record<string, T | null>>, field: string): T {
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return defined(dataOf(result)[field], `the data of ${field}`);
}

/** An AccessKey pair for `userId`, created by `adminToken`: what goes after `Bearer `. */
async function accessKeyFor(adminToken: string, userId: string): Promise<string> {
  const data = await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
    CREATE_ACCESS_KEY,
    { p: userId },
    adminToken,
  );
  return `${data.createAccessKey.accessKey.id}:${data.createAccessKey.secret}`;
}

let account: ModelStudioAccount;

beforeAll(async () => {
  account = await modelStudioAccount(t.client);
  await authorizeModel(t.client, account.token, account.W, MODEL);
});

/** A RAM user of the account, member of W with API_KEY, signed in. */
const member = () => modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'], name: uniqueName('pw') });

describe('changePassword', () => {
  it('a wrong current password is BAD_USER_INPUT and changes nothing: the old password still signs in', async () => {
    const user = await createUser(t.client, account.token, uniqueName('wrong'));
    const other = await login(t.client, user.loginName);
    expectError(await changePassword(user.token, 'not the password at all', NEW_PASSWORD), 'BAD_USER_INPUT', {
      field: 'input.currentPassword',
      dataField: 'changePassword',
    });
    expect(await loginOutcome(user.loginName, PASSWORD)).toBe('OK');
    expect(await loginOutcome(user.loginName, NEW_PASSWORD)).toBe('UNAUTHENTICATED');
    // No session ended either.
    expect(await actsAs(other)).toBe(user.id);
    expect(await actsAs(user.token)).toBe(user.id);
  });

  it('a new password shorter than 12 characters is BAD_USER_INPUT and changes nothing', async () => {
    const user = await createUser(t.client, account.token, uniqueName('short'));
    const other = await login(t.client, user.loginName);
    expectError(await changePassword(user.token, PASSWORD, 'short-pw'), 'BAD_USER_INPUT', {
      field: 'input.newPassword',
      dataField: 'changePassword',
    });
    expect(await loginOutcome(user.loginName, PASSWORD)).toBe('OK');
    expect(await loginOutcome(user.loginName, 'short-pw')).toBe('UNAUTHENTICATED');
    expect(await actsAs(other)).toBe(user.id);
  });

  describe('a successful change', () => {
    let user: TestUser;
    let changing: string;
    let otherA: string;
    let otherB: string;
    let roleSession: string;
    let roleId: string;

    beforeAll(async () => {
      user = await createUser(t.client, account.token, uniqueName('changer'));
      const role = await createRole(t.client, account.token, [user.id], uniqueName('changer-role'));
      roleId = role.id;
      changing = await login(t.client, user.loginName);
      otherA = user.token;
      otherB = await login(t.client, user.loginName);
      roleSession = await assumeRole(t.client, otherA, role.id);
      // Every one of them works before the change.
      for (const token of [changing, otherA, otherB]) expect(await actsAs(token)).toBe(user.id);
      expect(await actsAs(roleSession)).toBe(role.id);

      const changed = succeeded(await changePassword(changing, PASSWORD, NEW_PASSWORD), 'changePassword');
      expect(changed).toEqual({ id: user.id, kind: 'RAM_USER' });
    });

    it('the old password is refused at login (UNAUTHENTICATED), the new one accepted', async () => {
      expect(await loginOutcome(user.loginName, PASSWORD)).toBe('UNAUTHENTICATED');
      expect(await loginOutcome(user.loginName, NEW_PASSWORD)).toBe('OK');
    });

    it("the user's other sessions, and the role session it assumed, are refused on their next request", async () => {
      expect(await actsAs(otherA)).toBe('UNAUTHENTICATED');
      expect(await actsAs(otherB)).toBe('UNAUTHENTICATED');
      expect(await actsAs(roleSession)).toBe('UNAUTHENTICATED');
      // Not only the viewer: any operation.
      expectError(await t.client.request(`{ account { id } }`, {}, { token: otherB }), 'UNAUTHENTICATED');
    });

    it('the changing session goes on, and may assume the role afresh', async () => {
      expect(await actsAs(changing)).toBe(user.id);
      const again = await assumeRole(t.client, changing, roleId);
      expect(await actsAs(again)).toBe(roleId);
    });

    it('a second change from the same session works, and ends the sessions opened in between', async () => {
      const inBetween = await login(t.client, user.loginName, NEW_PASSWORD);
      expect(await actsAs(inBetween)).toBe(user.id);
      succeeded(await changePassword(changing, NEW_PASSWORD, OTHER_PASSWORD), 'changePassword');
      expect(await actsAs(changing)).toBe(user.id);
      expect(await actsAs(inBetween)).toBe('UNAUTHENTICATED');
      expect(await loginOutcome(user.loginName, NEW_PASSWORD)).toBe('UNAUTHENTICATED');
      expect(await loginOutcome(user.loginName, OTHER_PASSWORD)).toBe('OK');
    });

    it('is audited as changePassword by the user, through its session', async () => {
      const events = await auditEvents(t.client, account.token, { action: 'changePassword', resourceId: user.id, outcome: 'SUCCESS' });
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(events[0]).toMatchObject({
        action: 'changePassword',
        actorId: user.id,
        via: 'SESSION',
        resourceId: user.id,
        outcome: 'SUCCESS',
      });
    });
  });

  it('the root may change its own password too', async () => {
    const root = await signUp(t.client, uniqueName('pwroot'));
    const other = await login(t.client, root.email);
    const changed = succeeded(await changePassword(root.token, PASSWORD, NEW_PASSWORD), 'changePassword');
    expect(changed).toEqual({ id: root.rootId, kind: 'ROOT' });
    expect(await loginOutcome(root.email, PASSWORD)).toBe('UNAUTHENTICATED');
    expect(await loginOutcome(root.email, NEW_PASSWORD)).toBe('OK');
    expect(await actsAs(other)).toBe('UNAUTHENTICATED');
    expect(await actsAs(root.token)).toBe(root.rootId);
  });

  describe('only from a console session', () => {
    let user: TestUser;
    let key: CreatedKey;
    let pair: string;

    beforeAll(async () => {
      user = await member();
      key = await createKey(t.client, user.token, account.W);
      pair = await accessKeyFor(account.token, user.id);
    });

    it('an AccessKey request calling changePassword is FORBIDDEN, and nothing changes', async () => {
      expect(await actsAs(pair)).toBe(user.id);
      expectError(await changePassword(pair, PASSWORD, NEW_PASSWORD), 'FORBIDDEN', { dataField: 'changePassword' });
      expect(await loginOutcome(user.loginName, PASSWORD)).toBe('OK');
      expect(await actsAs(user.token)).toBe(user.id);
    });

    it('an API key calling changePassword is FORBIDDEN, and nothing changes', async () => {
      expectError(await changePassword(key.secret, PASSWORD, NEW_PASSWORD), 'FORBIDDEN', { dataField: 'changePassword' });
      expect(await loginOutcome(user.loginName, PASSWORD)).toBe('OK');
      expect(await actsAs(user.token)).toBe(user.id);
    });
  });
});

describe('resetRamUserPassword', () => {
  it('the root sets a RAM user password: every session of the user ends (role sessions too), the new password signs in', async () => {
    const user = await createUser(t.client, account.token, uniqueName('reset'));
    const second = await login(t.client, user.loginName);
    const role = await createRole(t.client, account.token, [user.id], uniqueName('reset-role'));
    const roleSession = await assumeRole(t.client, user.token, role.id);
    expect(await actsAs(roleSession)).toBe(role.id);

    const reset = succeeded(await resetPassword(account.token, user.id, NEW_PASSWORD), 'resetRamUserPassword');
    expect(reset).toEqual({ id: user.id, kind: 'RAM_USER', loginName: user.loginName });
    expect(await actsAs(user.token)).toBe('UNAUTHENTICATED');
    expect(await actsAs(second)).toBe('UNAUTHENTICATED');
    expect(await actsAs(roleSession)).toBe('UNAUTHENTICATED');
    expect(await loginOutcome(user.loginName, PASSWORD)).toBe('UNAUTHENTICATED');
    const fresh = await login(t.client, user.loginName, NEW_PASSWORD);
    expect(await actsAs(fresh)).toBe(user.id);
    // The root's own session is untouched.
    expect(await actsAs(account.token)).toBe(account.rootId);
  });

  it('an AliyunRAMFullAccess holder may reset a password too; the event names it', async () => {
    const admin = await createUser(t.client, account.token, uniqueName('ram-admin'));
    await attachPolicy(t.client, account.token, admin.id, 'AliyunRAMFullAccess');
    const user = await createUser(t.client, account.token, uniqueName('reset-by-admin'));

    succeeded(await resetPassword(admin.token, user.id, NEW_PASSWORD), 'resetRamUserPassword');
    expect(await actsAs(user.token)).toBe('UNAUTHENTICATED');
    expect(await loginOutcome(user.loginName, NEW_PASSWORD)).toBe('OK');
    expect(await actsAs(admin.token)).toBe(admin.id);

    const events = await auditEvents(t.client, account.token, { action: 'resetRamUserPassword', resourceId: user.id, outcome: 'SUCCESS' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: admin.id, via: 'SESSION', resourceId: user.id });
  });

  it('a user without AliyunRAMFullAccess is FORBIDDEN and nothing changes', async () => {
    const outsider = await createUser(t.client, account.token, uniqueName('no-ram'));
    await attachPolicy(t.client, account.token, outsider.id, 'AliyunBailianControlFullAccess');
    const user = await createUser(t.client, account.token, uniqueName('target'));

    expectError(await resetPassword(outsider.token, user.id, NEW_PASSWORD), 'FORBIDDEN', { dataField: 'resetRamUserPassword' });
    expect(await actsAs(user.token)).toBe(user.id);
    expect(await loginOutcome(user.loginName, PASSWORD)).toBe('OK');
    expect(await loginOutcome(user.loginName, NEW_PASSWORD)).toBe('UNAUTHENTICATED');
    // Not even one's own password, by this route.
    expectError(await resetPassword(outsider.token, outsider.id, NEW_PASSWORD), 'FORBIDDEN', { dataField: 'resetRamUserPassword' });
    expect(await loginOutcome(outsider.loginName, PASSWORD)).toBe('OK');
  });

  it("another account's user ID is NOT_FOUND, and that user is untouched", async () => {
    const elsewhere = await signUp(t.client, uniqueName('other'));
    const stranger = await createUser(t.client, elsewhere.token, uniqueName('stranger'));
    expectError(await resetPassword(account.token, stranger.id, NEW_PASSWORD), 'NOT_FOUND', { dataField: 'resetRamUserPassword' });
    expect(await actsAs(stranger.token)).toBe(stranger.id);
    expect(await loginOutcome(stranger.loginName, PASSWORD)).toBe('OK');
  });

  it('a too-short password is BAD_USER_INPUT and ends no session', async () => {
    const user = await createUser(t.client, account.token, uniqueName('reset-short'));
    expectError(await resetPassword(account.token, user.id, 'short-pw'), 'BAD_USER_INPUT', {
      field: 'input.newPassword',
      dataField: 'resetRamUserPassword',
    });
    expect(await actsAs(user.token)).toBe(user.id);
    expect(await loginOutcome(user.loginName, PASSWORD)).toBe('OK');
  });
});

describe('revokeSessions', () => {
  it('by the root on a user: its sessions and role sessions end, its API key and AccessKey pair go on', async () => {
    const user = await member();
    const second = await login(t.client, user.loginName);
    const role = await createRole(t.client, account.token, [user.id], uniqueName('revoke-role'));
    const roleSession = await assumeRole(t.client, user.token, role.id);
    const key = await createKey(t.client, user.token, account.W);
    const pair = await accessKeyFor(account.token, user.id);
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');

    const revoked = succeeded(await revokeSessions(account.token, user.id), 'revokeSessions');
    expect(revoked).toEqual({ id: user.id, kind: 'RAM_USER' });

    expect(await actsAs(user.token)).toBe('UNAUTHENTICATED');
    expect(await actsAs(second)).toBe('UNAUTHENTICATED');
    expect(await actsAs(roleSession)).toBe('UNAUTHENTICATED');
    // The credentials for programs are not sessions.
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');
    const viaKey = await t.client.request<{ viewer: { credential: string; principal: { id: string } } }>(
      `{ viewer { credential principal { id } } }`,
      {},
      { token: key.secret },
    );
    expect(dataOf(viaKey).viewer).toEqual({ credential: 'API_KEY', principal: { id: user.id } });
    const viaPair = await t.client.request<{ viewer: { credential: string; principal: { id: string } } }>(
      `{ viewer { credential principal { id } } }`,
      {},
      { token: pair },
    );
    expect(dataOf(viaPair).viewer).toEqual({ credential: 'ACCESS_KEY', principal: { id: user.id } });
    // The password is unchanged: signing in again works, and so does the new session.
    const fresh = await login(t.client, user.loginName);
    expect(await actsAs(fresh)).toBe(user.id);
    expect(await actsAs(await assumeRole(t.client, fresh, role.id))).toBe(role.id);

    const events = await auditEvents(t.client, account.token, { action: 'revokeSessions', resourceId: user.id, outcome: 'SUCCESS' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: account.rootId, via: 'SESSION', resourceId: user.id });
  });

  it('an AliyunRAMFullAccess holder may revoke a user’s sessions', async () => {
    const admin = await createUser(t.client, account.token, uniqueName('revoker'));
    await attachPolicy(t.client, account.token, admin.id, 'AliyunRAMFullAccess');
    const user = await createUser(t.client, account.token, uniqueName('revokee'));
    succeeded(await revokeSessions(admin.token, user.id), 'revokeSessions');
    expect(await actsAs(user.token)).toBe('UNAUTHENTICATED');
    expect(await actsAs(admin.token)).toBe(admin.id);
  });

  it('a user may revoke its own sessions: the current one ends too', async () => {
    const user = await createUser(t.client, account.token, uniqueName('self'));
    const second = await login(t.client, user.loginName);
    succeeded(await revokeSessions(user.token, user.id), 'revokeSessions');
    expect(await actsAs(user.token)).toBe('UNAUTHENTICATED');
    expect(await actsAs(second)).toBe('UNAUTHENTICATED');
    expect(await actsAs(await login(t.client, user.loginName))).toBe(user.id);
  });

  it("a user without the policy revoking another's sessions is FORBIDDEN, and those sessions go on", async () => {
    const outsider = await createUser(t.client, account.token, uniqueName('outsider'));
    await attachPolicy(t.client, account.token, outsider.id, 'AliyunBailianControlFullAccess');
    const user = await createUser(t.client, account.token, uniqueName('victim'));
    expectError(await revokeSessions(outsider.token, user.id), 'FORBIDDEN', { dataField: 'revokeSessions' });
    expectError(await revokeSessions(outsider.token, account.rootId), 'FORBIDDEN', { dataField: 'revokeSessions' });
    expect(await actsAs(user.token)).toBe(user.id);
    expect(await actsAs(account.token)).toBe(account.rootId);
    expect(await actsAs(outsider.token)).toBe(outsider.id);
  });

  it("revokeSessions(roleId) ends the role's sessions; the users' own sessions go on and may assume it again", async () => {
    const a = await createUser(t.client, account.token, uniqueName('ra'));
    const b = await createUser(t.client, account.token, uniqueName('rb'));
    const role = await createRole(t.client, account.token, [a.id, b.id], uniqueName('revoked-role'));
    const sessionA = await assumeRole(t.client, a.token, role.id);
    const sessionB = await assumeRole(t.client, b.token, role.id);
    expect(await actsAs(sessionA)).toBe(role.id);

    const revoked = succeeded(await revokeSessions(account.token, role.id), 'revokeSessions');
    expect(revoked).toEqual({ id: role.id, kind: 'RAM_ROLE' });
    expect(await actsAs(sessionA)).toBe('UNAUTHENTICATED');
    expect(await actsAs(sessionB)).toBe('UNAUTHENTICATED');
    expect(await actsAs(a.token)).toBe(a.id);
    expect(await actsAs(b.token)).toBe(b.id);
    expect(await actsAs(await assumeRole(t.client, a.token, role.id))).toBe(role.id);

    const events = await auditEvents(t.client, account.token, { action: 'revokeSessions', resourceId: role.id, outcome: 'SUCCESS' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: account.rootId, resourceId: role.id });
  });

  it("another account's principal is NOT_FOUND, and its sessions go on", async () => {
    const elsewhere = await signUp(t.client, uniqueName('other'));
    const stranger = await createUser(t.client, elsewhere.token, uniqueName('stranger'));
    expectError(await revokeSessions(account.token, stranger.id), 'NOT_FOUND', { dataField: 'revokeSessions' });
    expect(await actsAs(stranger.token)).toBe(stranger.id);
  });
});
