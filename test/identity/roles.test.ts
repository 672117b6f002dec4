import { beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  assumeRole,
  attachPolicy,
  changeStatus,
  createRole,
  createUser,
  ramSnapshot,
  signUp,
  type TestAccount,
  type TestUser,
} from '../helpers/fixtures.js';
import { dataOf } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { VIEWER, expectError, payloadOf, uniqueName, type ViewerData } from './support.js';

/** RAM roles: who may assume them, what a role session acts as, and when it ends. */
const t = gatewayForThisFile();

const ASSUME = `mutation($id: ID!) { assumeRole(roleId: $id) { token expiresAt principal { id kind name } } }`;
const assume = (token: string, roleId: string) =>
  t.client.request<{ assumeRole: { token: string; expiresAt: string; principal: { id: string; kind: string; name: string } } }>(
    ASSUME,
    { id: roleId },
    { token },
  );
const viewerOf = (token: string) => t.client.request<ViewerData>(VIEWER, {}, { token });
const createUserAs = (token: string) =>
  t.client.request(
    `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id } }`,
    { input: { name: uniqueName('by-role'), displayName: 'by role', password: PASSWORD } },
    { token },
  );

let account: TestAccount;

beforeAll(async () => {
  account = await signUp(t.client);
});

/** A role with `policies`, trusted by one fresh user, and that user. */
async function roleWithTrustee(policies: string[] = ['AliyunBailianControlReadOnlyAccess']) {
  const user = await createUser(t.client, account.token, uniqueName('trustee'));
  const role = await createRole(t.client, account.token, [user.id], uniqueName('role'));
  for (const policy of policies) await attachPolicy(t.client, account.token, role.id, policy);
  return { user, role };
}

describe('createRamRole', () => {
  it('creates a role with its description and trusted users, listed in the account', async () => {
    const a = await createUser(t.client, account.token, uniqueName('ta'));
    const b = await createUser(t.client, account.token, uniqueName('tb'));
    const name = uniqueName('ops');
    const result = await t.client.request<{ createRamRole: { id: string; trustedUsers: Array<{ id: string }> } }>(
      `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) {
         id kind name description status policies registeredInModelStudio trustedUsers { id } } }`,
      { input: { name, description: 'Operations on call', trustedUserIds: [a.id, b.id, a.id] } },
      { token: account.token },
    );
    expect(result.errors).toBeUndefined();
    const role = dataOf(result).createRamRole;
    expect(role).toMatchObject({
      kind: 'RAM_ROLE',
      name,
      description: 'Operations on call',
      status: 'ACTIVE',
      policies: [],
      registeredInModelStudio: false,
    });
    expect(role.id).toMatch(/^rol_/);
    const byId = (x: string, y: string) => x.localeCompare(y);
    expect(role.trustedUsers.map((u) => u.id).sort(byId)).toEqual([a.id, b.id].sort(byId));
    const snapshot = await ramSnapshot(t.client, account.token);
    expect(snapshot.roles[role.id]).toEqual({ name, status: 'ACTIVE', policies: [], trustedUserIds: [a.id, b.id].sort(byId) });
  });

  it('a deleted trusted user drops out of the trust list', async () => {
    const { user, role } = await roleWithTrustee();
    await changeStatus(t.client, account.token, 'deleteRamUser', user.id);
    expect((await ramSnapshot(t.client, account.token)).roles[role.id]?.trustedUserIds).toEqual([]);
  });
});

describe('assumeRole', () => {
  it("gives a trusted user a session acting as the role, with the role's policies", async () => {
    const { user, role } = await roleWithTrustee(['AliyunBailianControlReadOnlyAccess']);
    // The user's own policy must not leak into the role session.
    await attachPolicy(t.client, account.token, user.id, 'AliyunRAMFullAccess');

    const result = await assume(user.token, role.id);
    expect(result.errors).toBeUndefined();
    const session = dataOf(result).assumeRole;
    expect(session.principal).toEqual({ id: role.id, kind: 'RAM_ROLE', name: role.name });
    const expiresAt = Date.parse(session.expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + t.config.sessionTtlSeconds * 1000 + 5_000);
    expect(payloadOf(session.token)).toMatchObject({ sub: role.id, acc: account.accountId });

    const me = await t.client.request<{ viewer: unknown }>(
      `{ viewer { principal { id kind policies } assumedBy { id loginName } policies credential isSuperAdministrator account { id } } }`,
      {},
      { token: session.token },
    );
    expect(me.errors).toBeUndefined();
    expect(dataOf(me).viewer).toEqual({
      principal: { id: role.id, kind: 'RAM_ROLE', policies: ['AliyunBailianControlReadOnlyAccess'] },
      assumedBy: { id: user.id, loginName: user.loginName },
      policies: ['AliyunBailianControlReadOnlyAccess'],
      credential: 'SESSION',
      isSuperAdministrator: false,
      account: { id: account.accountId },
    });

    // The role session acts with the role's policies (read-only): the user's AliyunRAMFullAccess does not apply.
    const before = await ramSnapshot(t.client, account.token);
    expectError(await createUserAs(session.token), 'FORBIDDEN', { dataField: 'createRamUser' });
    expect(await ramSnapshot(t.client, account.token)).toEqual(before);
    // …while the user itself may.
    expect((await createUserAs(user.token)).errors).toBeUndefined();
  });

  it('a role holding AliyunBailianFullAccess makes its session a super administrator', async () => {
    const { user, role } = await roleWithTrustee(['AliyunBailianFullAccess']);
    const token = await assumeRole(t.client, user.token, role.id);
    const me = await t.client.ok<{ viewer: unknown }>(`{ viewer { isSuperAdministrator policies } }`, {}, token);
    expect(me.viewer).toEqual({ isSuperAdministrator: true, policies: ['AliyunBailianFullAccess'] });
  });

  it('refuses an untrusted RAM user with FORBIDDEN, even one holding AliyunRAMFullAccess', async () => {
    const { role } = await roleWithTrustee();
    const stranger = await createUser(t.client, account.token, uniqueName('untrusted'));
    expectError(await assume(stranger.token, role.id), 'FORBIDDEN', { dataField: 'assumeRole' });
    await attachPolicy(t.client, account.token, stranger.id, 'AliyunRAMFullAccess');
    expectError(await assume(stranger.token, role.id), 'FORBIDDEN', { dataField: 'assumeRole' });
  });

  it('refuses the root: roles are assumed by the RAM users they trust', async () => {
    const { role } = await roleWithTrustee();
    expectError(await assume(account.token, role.id), 'FORBIDDEN', { dataField: 'assumeRole' });
  });

  it('refuses without credentials', async () => {
    const { role } = await roleWithTrustee();
    expectError(await t.client.request(ASSUME, { id: role.id }), 'UNAUTHENTICATED', { dataField: 'assumeRole' });
  });

  it('answers NOT_FOUND for a role that does not exist', async () => {
    const { user } = await roleWithTrustee();
    expectError(await assume(user.token, 'rol_00000000000000000000'), 'NOT_FOUND', { dataField: 'assumeRole' });
  });
});

describe('a role session ends', () => {
  let user: TestUser;
  let roleId: string;
  let token: string;

  beforeAll(async () => {
    const made = await roleWithTrustee();
    user = made.user;
    roleId = made.role.id;
  });

  it('when the role is deleted: its sessions stop at once and it can no longer be assumed', async () => {
    token = await assumeRole(t.client, user.token, roleId);
    expect((await viewerOf(token)).errors).toBeUndefined();
    await changeStatus(t.client, account.token, 'deleteRamRole', roleId);
    expectError(await viewerOf(token), 'UNAUTHENTICATED');
    expectError(await t.client.request(`{ account { id } }`, {}, { token }), 'UNAUTHENTICATED');
    expectError(await assume(user.token, roleId), 'NOT_FOUND', { dataField: 'assumeRole' });
    expect((await ramSnapshot(t.client, account.token)).roles[roleId]).toBeUndefined();
    // The user's own session is unaffected.
    expect(dataOf(await viewerOf(user.token)).viewer.principal.id).toBe(user.id);
  });

  it('when the assuming user is disabled (and works again once the user is enabled)', async () => {
    const { user: trustee, role } = await roleWithTrustee();
    const session = await assumeRole(t.client, trustee.token, role.id);
    expect((await viewerOf(session)).errors).toBeUndefined();

    await changeStatus(t.client, account.token, 'disableRamUser', trustee.id);
    expectError(await viewerOf(session), 'UNAUTHENTICATED');
    expectError(await createUserAs(session), 'UNAUTHENTICATED', { dataField: 'createRamUser' });
    // The role itself is untouched.
    expect((await ramSnapshot(t.client, account.token)).roles[role.id]).toMatchObject({ status: 'ACTIVE', trustedUserIds: [trustee.id] });

    await changeStatus(t.client, account.token, 'enableRamUser', trustee.id);
    const again = await viewerOf(session);
    expect(again.errors).toBeUndefined();
    expect(dataOf(again).viewer).toMatchObject({ principal: { id: role.id }, assumedBy: { id: trustee.id } });
  });

  it('when the assuming user is deleted, for good', async () => {
    const { user: trustee, role } = await roleWithTrustee();
    const session = await assumeRole(t.client, trustee.token, role.id);
    await changeStatus(t.client, account.token, 'deleteRamUser', trustee.id);
    expectError(await viewerOf(session), 'UNAUTHENTICATED');
    expect((await ramSnapshot(t.client, account.token)).roles[role.id]).toMatchObject({ status: 'ACTIVE', trustedUserIds: [] });
  });

  it('a session of a deleted role is not revived by a new role of the same name', async () => {
    const { user: trustee, role } = await roleWithTrustee();
    const session = await assumeRole(t.client, trustee.token, role.id);
    await changeStatus(t.client, account.token, 'deleteRamRole', role.id);
    const replacement = await createRole(t.client, account.token, [trustee.id], role.name);
    expect(replacement.id).not.toBe(role.id);
    expectError(await viewerOf(session), 'UNAUTHENTICATED');
  });
});
