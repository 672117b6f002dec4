import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import {
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
import { GraphQLClient, dataOf, outcomeOf } from '../helpers/graphql-client.js';
import { auditEvents } from '../helpers/model-studio-fixtures.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { VIEWER, expectError, uniqueName, type ViewerData } from './support.js';

/**
 * `updateRamRole` (docs: /work/shared/spec/api.md "Additions" → "Identity"): a role's
 * description and trusted users; a user dropped from the trust loses its role sessions on their
 * next request, in this server process and in any other on the same database.
 */
const t = gatewayForThisFile();

const UPDATE_ROLE = `mutation($input: UpdateRamRoleInput!) { updateRamRole(input: $input) { id description trustedUsers { id } } }`;
const ROLE = `query($id: ID!) { node(id: $id) { ... on RamRole { id description trustedUsers { id } } } }`;
const ASSUME = `mutation($id: ID!) { assumeRole(roleId: $id) { token } }`;

interface RoleView {
  id: string;
  description: string;
  trustedUsers: Array<{ id: string }>;
}

const byId = (a: string, b: string) => a.localeCompare(b);
const ids = (role: RoleView) => role.trustedUsers.map((u) => u.id).sort(byId);

const updateRole = (token: string, input: Record<string, unknown>, client: GraphQLClient = t.client) =>
  client.request<{ updateRamRole: RoleView | null }>(UPDATE_ROLE, { input }, { token });

async function roleAsSeenBy(token: string, id: string): Promise<RoleView> {
  const data = await t.client.ok<{ node: RoleView | null }>(ROLE, { id }, token);
  return defined(data.node, `the role ${id}`);
}

/** What the token does on its next request to `client`: the acting principal's ID, or the error code. */
async function actsAs(token: string, client: GraphQLClient = t.client): Promise<string> {
  const result = await client.request<ViewerData>(VIEWER, {}, { token });
  if (result.errors?.length) return outcomeOf(result);
  return dataOf(result).viewer.principal.id;
}

const assume = (token: string, roleId: string) =>
  t.client.request<{ assumeRole: { token: string } | null }>(ASSUME, { id: roleId }, { token });

let account: TestAccount;

beforeAll(async () => {
  account = await signUp(t.client, uniqueName('trust'));
});

describe('updateRamRole', () => {
  it('changes the description, readable afterwards; the trusted users are unchanged when absent', async () => {
    const user = await createUser(t.client, account.token, uniqueName('keep'));
    const role = await createRole(t.client, account.token, [user.id], uniqueName('desc'));

    const result = await updateRole(account.token, { id: role.id, description: 'On call for the weekend' });
    expect(result.errors).toBeUndefined();
    const updated = defined(dataOf(result).updateRamRole, 'updateRamRole');
    expect(updated).toEqual({ id: role.id, description: 'On call for the weekend', trustedUsers: [{ id: user.id }] });
    expect(await roleAsSeenBy(account.token, role.id)).toEqual(updated);
    // A user still trusted keeps assuming it.
    expect(await actsAs(await assumeRole(t.client, user.token, role.id))).toBe(role.id);
  });

  it('a null description empties it; the trusted users are unchanged', async () => {
    const user = await createUser(t.client, account.token, uniqueName('keep'));
    const role = await createRole(t.client, account.token, [user.id], uniqueName('desc-null'));
    const result = await updateRole(account.token, { id: role.id, description: null });
    expect(result.errors).toBeUndefined();
    expect(await roleAsSeenBy(account.token, role.id)).toEqual({ id: role.id, description: '', trustedUsers: [{ id: user.id }] });
  });

  describe('replacing the trusted users', () => {
    let kept: TestUser;
    let dropped: TestUser;
    let added: TestUser;
    let roleId: string;
    let description: string;
    let keptSession: string;
    let droppedSession: string;

    beforeAll(async () => {
      kept = await createUser(t.client, account.token, uniqueName('kept'));
      dropped = await createUser(t.client, account.token, uniqueName('dropped'));
      added = await createUser(t.client, account.token, uniqueName('added'));
      const role = await createRole(t.client, account.token, [kept.id, dropped.id], uniqueName('trust'));
      roleId = role.id;
      description = (await roleAsSeenBy(account.token, roleId)).description;
      keptSession = await assumeRole(t.client, kept.token, roleId);
      droppedSession = await assumeRole(t.client, dropped.token, roleId);
      expect(await actsAs(droppedSession)).toBe(roleId);
      expectError(await assume(added.token, roleId), 'FORBIDDEN', { dataField: 'assumeRole' });

      const result = await updateRole(account.token, { id: roleId, trustedUserIds: [kept.id, added.id] });
      expect(result.errors).toBeUndefined();
      expect(ids(defined(dataOf(result).updateRamRole, 'updateRamRole'))).toEqual([kept.id, added.id].sort(byId));
    });

    it('the trust is replaced and the description, absent, is unchanged', async () => {
      const role = await roleAsSeenBy(account.token, roleId);
      expect(role.description).toBe(description);
      expect(ids(role)).toEqual([kept.id, added.id].sort(byId));
    });

    it("a dropped user's existing role session is refused on its next request", async () => {
      expect(await actsAs(droppedSession)).toBe('UNAUTHENTICATED');
      expectError(await t.client.request(`{ account { id } }`, {}, { token: droppedSession }), 'UNAUTHENTICATED');
      // Its own session goes on.
      expect(await actsAs(dropped.token)).toBe(dropped.id);
    });

    it('a dropped user cannot assume the role again (FORBIDDEN)', async () => {
      expectError(await assume(dropped.token, roleId), 'FORBIDDEN', { dataField: 'assumeRole' });
    });

    it('a user still trusted keeps its role session; a newly added user can assume the role', async () => {
      expect(await actsAs(keptSession)).toBe(roleId);
      expect(await actsAs(await assumeRole(t.client, added.token, roleId))).toBe(roleId);
    });

    it('trusting the dropped user again lets it assume the role afresh, but does not revive its old session', async () => {
      const result = await updateRole(account.token, { id: roleId, trustedUserIds: [kept.id, added.id, dropped.id] });
      expect(result.errors).toBeUndefined();
      expect(await actsAs(await assumeRole(t.client, dropped.token, roleId))).toBe(roleId);
      // Being trusted again is a new grant; the old session was ended when the user was dropped.
      expect(await actsAs(droppedSession)).toBe('UNAUTHENTICATED');
    });

    it('is audited as updateRamRole on the role', async () => {
      const events = await auditEvents(t.client, account.token, { action: 'updateRamRole', resourceId: roleId, outcome: 'SUCCESS' });
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(events[0]).toMatchObject({ actorId: account.rootId, via: 'SESSION', resourceId: roleId });
    });
  });

  it('null trustedUserIds trusts no one: every role session ends, no one may assume it', async () => {
    const a = await createUser(t.client, account.token, uniqueName('na'));
    const b = await createUser(t.client, account.token, uniqueName('nb'));
    const role = await createRole(t.client, account.token, [a.id, b.id], uniqueName('nobody'));
    const sessionA = await assumeRole(t.client, a.token, role.id);
    const sessionB = await assumeRole(t.client, b.token, role.id);

    const result = await updateRole(account.token, { id: role.id, trustedUserIds: null });
    expect(result.errors).toBeUndefined();
    expect(defined(dataOf(result).updateRamRole, 'updateRamRole').trustedUsers).toEqual([]);
    expect((await roleAsSeenBy(account.token, role.id)).trustedUsers).toEqual([]);
    expect(await actsAs(sessionA)).toBe('UNAUTHENTICATED');
    expect(await actsAs(sessionB)).toBe('UNAUTHENTICATED');
    expectError(await assume(a.token, role.id), 'FORBIDDEN', { dataField: 'assumeRole' });
    expectError(await assume(b.token, role.id), 'FORBIDDEN', { dataField: 'assumeRole' });
  });

  it('an AliyunRAMFullAccess holder may edit the trust', async () => {
    const admin = await createUser(t.client, account.token, uniqueName('ram-admin'));
    await attachPolicy(t.client, account.token, admin.id, 'AliyunRAMFullAccess');
    const user = await createUser(t.client, account.token, uniqueName('by-admin'));
    const role = await createRole(t.client, account.token, [], uniqueName('by-admin'));
    const result = await updateRole(admin.token, { id: role.id, description: 'set by the admin', trustedUserIds: [user.id] });
    expect(result.errors).toBeUndefined();
    expect(await roleAsSeenBy(account.token, role.id)).toEqual({
      id: role.id,
      description: 'set by the admin',
      trustedUsers: [{ id: user.id }],
    });
    expect(await actsAs(await assumeRole(t.client, user.token, role.id))).toBe(role.id);
  });

  describe('refusals change nothing', () => {
    let trustee: TestUser;
    let roleId: string;
    let roleSession: string;

    beforeAll(async () => {
      trustee = await createUser(t.client, account.token, uniqueName('trustee'));
      roleId = (await createRole(t.client, account.token, [trustee.id], uniqueName('guarded'))).id;
      roleSession = await assumeRole(t.client, trustee.token, roleId);
    });

    /** The request fails with `code` (naming `field`), and the account's RAM identities and the role session are as they were. */
    async function refusedWithoutChange(token: string, input: Record<string, unknown>, code: string, field?: string) {
      const before = await ramSnapshot(t.client, account.token);
      const description = (await roleAsSeenBy(account.token, roleId)).description;
      expectError(await updateRole(token, input), code, { dataField: 'updateRamRole', ...(field === undefined ? {} : { field }) });
      expect(await ramSnapshot(t.client, account.token)).toEqual(before);
      expect((await roleAsSeenBy(account.token, roleId)).description).toBe(description);
      expect(await actsAs(roleSession)).toBe(roleId);
    }

    it('invalid user IDs are BAD_USER_INPUT naming input.trustedUserIds[i]', async () => {
      const elsewhere = await signUp(t.client, uniqueName('other'));
      const stranger = await createUser(t.client, elsewhere.token, uniqueName('stranger'));
      const deleted = await createUser(t.client, account.token, uniqueName('deleted'));
      await changeStatus(t.client, account.token, 'deleteRamUser', deleted.id);
      const otherRole = await createRole(t.client, account.token, [], uniqueName('not-a-user'));
      const cases: Array<[unknown[], number]> = [
        [['not-an-id'], 0],
        [[trustee.id, 'usr_00000000000000000000'], 1],
        [[trustee.id, trustee.id, stranger.id], 2],
        [[deleted.id, trustee.id], 0],
        [[trustee.id, otherRole.id], 1],
        [[trustee.id, account.rootId], 1],
      ];
      for (const [trustedUserIds, index] of cases) {
        await refusedWithoutChange(
          account.token,
          { id: roleId, description: 'must not be applied', trustedUserIds },
          'BAD_USER_INPUT',
          `input.trustedUserIds[${index}]`,
        );
      }
    });

    it('a user without AliyunRAMFullAccess is FORBIDDEN', async () => {
      const outsider = await createUser(t.client, account.token, uniqueName('outsider'));
      await attachPolicy(t.client, account.token, outsider.id, 'AliyunBailianControlFullAccess');
      await refusedWithoutChange(outsider.token, { id: roleId, trustedUserIds: [outsider.id] }, 'FORBIDDEN');
      await refusedWithoutChange(outsider.token, { id: roleId, trustedUserIds: null }, 'FORBIDDEN');
      await refusedWithoutChange(outsider.token, { id: roleId, description: 'hijacked' }, 'FORBIDDEN');
      // Being trusted by the role gives no right to edit its trust; nor does the role session itself.
      await refusedWithoutChange(trustee.token, { id: roleId, trustedUserIds: [] }, 'FORBIDDEN');
      await refusedWithoutChange(roleSession, { id: roleId, trustedUserIds: [] }, 'FORBIDDEN');
    });

    it("another account's role ID is NOT_FOUND, and that role is untouched", async () => {
      const elsewhere = await signUp(t.client, uniqueName('other'));
      const strangerUser = await createUser(t.client, elsewhere.token, uniqueName('stranger'));
      const strangerRole = await createRole(t.client, elsewhere.token, [strangerUser.id], uniqueName('foreign'));
      const strangerSession = await assumeRole(t.client, strangerUser.token, strangerRole.id);
      const before = await roleAsSeenBy(elsewhere.token, strangerRole.id);
      await refusedWithoutChange(account.token, { id: strangerRole.id, trustedUserIds: [] }, 'NOT_FOUND');
      expect(await roleAsSeenBy(elsewhere.token, strangerRole.id)).toEqual(before);
      expect(await actsAs(strangerSession)).toBe(strangerRole.id);
    });
  });
});

/**
 * Two server processes on one PostgreSQL database: a trust edit or a revocation made through one
 * is enforced by the other on the very next request. (PGlite is one process's database.)
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('across two server processes', () => {
  let b: ServerProcess | undefined;
  let viaB: GraphQLClient;

  beforeAll(async () => {
    const started = await startServerProcess(defined(t.databaseUrl, 'the URL of the test database (PostgreSQL runs only)'));
    b = started;
    viaB = new GraphQLClient(started.url);
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
  });

  it('a role session obtained through A, its user dropped from the trust through A, is refused by B on its next request', async () => {
    const user = await createUser(t.client, account.token, uniqueName('xp-trust'));
    const role = await createRole(t.client, account.token, [user.id], uniqueName('xp-trust'));
    const session = await assumeRole(t.client, user.token, role.id);
    expect(await actsAs(session, viaB)).toBe(role.id);

    const result = await updateRole(account.token, { id: role.id, trustedUserIds: [] });
    expect(result.errors).toBeUndefined();
    expect(await actsAs(session, viaB)).toBe('UNAUTHENTICATED');
    expect(await actsAs(session)).toBe('UNAUTHENTICATED');
    expect(await actsAs(user.token, viaB)).toBe(user.id);
  });

  it('sessions revoked through A are refused by B on their next request (role sessions too)', async () => {
    const user = await createUser(t.client, account.token, uniqueName('xp-revoke'));
    const role = await createRole(t.client, account.token, [user.id], uniqueName('xp-revoke'));
    const roleSession = await assumeRole(t.client, user.token, role.id);
    expect(await actsAs(user.token, viaB)).toBe(user.id);
    expect(await actsAs(roleSession, viaB)).toBe(role.id);

    const revoked = await t.client.request(
      `mutation($id: ID!) { revokeSessions(principalId: $id) { id } }`,
      { id: user.id },
      { token: account.token },
    );
    expect(revoked.errors).toBeUndefined();
    expect(await actsAs(user.token, viaB)).toBe('UNAUTHENTICATED');
    expect(await actsAs(roleSession, viaB)).toBe('UNAUTHENTICATED');
  });

  it("a role's sessions revoked through A are refused by B on their next request", async () => {
    const user = await createUser(t.client, account.token, uniqueName('xp-role'));
    const role = await createRole(t.client, account.token, [user.id], uniqueName('xp-role'));
    const roleSession = await assumeRole(t.client, user.token, role.id);
    expect(await actsAs(roleSession, viaB)).toBe(role.id);

    const revoked = await t.client.request(
      `mutation($id: ID!) { revokeSessions(principalId: $id) { id } }`,
      { id: role.id },
      { token: account.token },
    );
    expect(revoked.errors).toBeUndefined();
    expect(await actsAs(roleSession, viaB)).toBe('UNAUTHENTICATED');
    expect(await actsAs(user.token, viaB)).toBe(user.id);
  });
});
