import { beforeAll, describe, expect, it } from 'vitest';
import {
  attachPolicy,
  changeStatus,
  createRole,
  createUser,
  ramSnapshot,
  registerInModelStudio,
  signUp,
  type TestAccount,
  type TestUser,
} from '../helpers/fixtures.js';
import { dataOf, firstError, type GraphQLResponse } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { expectError, uniqueName } from './support.js';

/**
 * Cross-account isolation of identities: another account's user and role IDs behave exactly
 * like IDs that do not exist (NOT_FOUND, never FORBIDDEN, never data), and lists never mix.
 */
const t = gatewayForThisFile();

interface IdConnection {
  edges: Array<{ node: { id: string } }>;
}
const sorted = (ids: string[]) => [...ids].sort((a, b) => a.localeCompare(b));

let A: TestAccount;
let B: TestAccount;
/** Account A's principals, the targets. */
let userA: TestUser;
let disabledUserA: TestUser;
let roleA: string;
/** Account B's callers. */
let ramAdminB: TestUser;
let plainB: TestUser;
let roleSessionB: string;

const MISSING = {
  user: 'usr_zzzzzzzzzzzzzzzzzzzz',
  role: 'rol_zzzzzzzzzzzzzzzzzzzz',
  root: 'rt_zzzzzzzzzzzzzzzzzzzz',
  account: 'acc_zzzzzzzzzzzzzzzzzzzz',
};

beforeAll(async () => {
  A = await signUp(t.client);
  B = await signUp(t.client);
  userA = await createUser(t.client, A.token, uniqueName('a-user'));
  await attachPolicy(t.client, A.token, userA.id, 'AliyunBailianControlReadOnlyAccess');
  await registerInModelStudio(t.client, A.token, userA.id);
  disabledUserA = await createUser(t.client, A.token, uniqueName('a-disabled'));
  await changeStatus(t.client, A.token, 'disableRamUser', disabledUserA.id);
  roleA = (await createRole(t.client, A.token, [userA.id], uniqueName('a-role'))).id;
  await attachPolicy(t.client, A.token, roleA, 'AliyunBailianDataFullAccess');

  ramAdminB = await createUser(t.client, B.token, uniqueName('b-admin'));
  await attachPolicy(t.client, B.token, ramAdminB.id, 'AliyunRAMFullAccess');
  await attachPolicy(t.client, B.token, ramAdminB.id, 'AliyunBailianFullAccess');
  plainB = await createUser(t.client, B.token, uniqueName('b-plain'));
  const roleB = await createRole(t.client, B.token, [plainB.id], uniqueName('b-role'));
  await attachPolicy(t.client, B.token, roleB.id, 'AliyunRAMFullAccess');
  const assumed = await t.client.ok<{ assumeRole: { token: string } }>(
    `mutation($id: ID!) { assumeRole(roleId: $id) { token } }`,
    { id: roleB.id },
    plainB.token,
  );
  roleSessionB = assumed.assumeRole.token;
});

const byId = (field: string) => (token: string, id: string) =>
  t.client.request(`mutation($id: ID!) { ${field}(id: $id) { id status } }`, { id }, { token });
const policy = (field: 'attachPolicy' | 'detachPolicy', name: string) => (token: string, id: string) =>
  t.client.request(`mutation($id: ID!) { ${field}(input: { principalId: $id, policy: ${name} }) { id policies } }`, { id }, { token });

interface ForeignCase {
  name: string;
  field: string;
  /** The foreign ID (of account A) and an ID of the same kind that exists nowhere. */
  target: () => string;
  missing: string;
  run: (token: string, id: string) => Promise<GraphQLResponse>;
}

const CASES: ForeignCase[] = [
  { name: 'disableRamUser', field: 'disableRamUser', target: () => userA.id, missing: MISSING.user, run: byId('disableRamUser') },
  { name: 'enableRamUser', field: 'enableRamUser', target: () => disabledUserA.id, missing: MISSING.user, run: byId('enableRamUser') },
  { name: 'deleteRamUser', field: 'deleteRamUser', target: () => userA.id, missing: MISSING.user, run: byId('deleteRamUser') },
  { name: 'deleteRamRole', field: 'deleteRamRole', target: () => roleA, missing: MISSING.role, run: byId('deleteRamRole') },
  {
    name: 'attachPolicy (non-data) to a user',
    field: 'attachPolicy',
    target: () => userA.id,
    missing: MISSING.user,
    run: policy('attachPolicy', 'AliyunRAMFullAccess'),
  },
  {
    name: 'attachPolicy (data) to a role',
    field: 'attachPolicy',
    target: () => roleA,
    missing: MISSING.role,
    run: policy('attachPolicy', 'AliyunBailianDataReadOnlyAccess'),
  },
  {
    name: 'detachPolicy (non-data) from a user',
    field: 'detachPolicy',
    target: () => userA.id,
    missing: MISSING.user,
    run: policy('detachPolicy', 'AliyunBailianControlReadOnlyAccess'),
  },
  {
    name: 'detachPolicy (data) from a role',
    field: 'detachPolicy',
    target: () => roleA,
    missing: MISSING.role,
    run: policy('detachPolicy', 'AliyunBailianDataFullAccess'),
  },
  {
    name: 'assumeRole',
    field: 'assumeRole',
    target: () => roleA,
    missing: MISSING.role,
    run: (token, id) => t.client.request(`mutation($id: ID!) { assumeRole(roleId: $id) { token } }`, { id }, { token }),
  },
  ...(['user', 'role', 'root', 'account'] as const).map(
    (kind): ForeignCase => ({
      name: `node(id) of A's ${kind}`,
      field: 'node',
      target: () => ({ user: userA.id, role: roleA, root: A.rootId, account: A.accountId })[kind],
      missing: MISSING[kind],
      run: (token, id) => t.client.request(`query($id: ID!) { node(id: $id) { id __typename } }`, { id }, { token }),
    }),
  ),
];

const CALLERS: Array<[string, () => string]> = [
  ["B's root", () => B.token],
  ["B's RAM user with AliyunRAMFullAccess and AliyunBailianFullAccess", () => ramAdminB.token],
  ["B's plain RAM user", () => plainB.token],
  ['a role session of B holding AliyunRAMFullAccess', () => roleSessionB],
];

const MATRIX = CASES.flatMap((c) => CALLERS.map(([caller, token]) => ({ ...c, caller, token })));

describe("another account's identities", () => {
  it.each(MATRIX)(
    '$name as $caller: NOT_FOUND exactly like a missing ID, nothing changes',
    async ({ field, target, missing, run, token }) => {
      const before = await ramSnapshot(t.client, A.token);

      const foreign = await run(token(), target());
      expectError(foreign, 'NOT_FOUND', { dataField: field });
      expect(JSON.stringify(foreign)).not.toContain(target());
      const nowhere = await run(token(), missing);
      expectError(nowhere, 'NOT_FOUND', { dataField: field });
      expect(firstError(foreign).message).toBe(firstError(nowhere).message);
      expect(foreign.errors).toHaveLength(1);
      expect(firstError(foreign).extensions).toEqual(firstError(nowhere).extensions);

      expect(await ramSnapshot(t.client, A.token)).toEqual(before);
    },
  );

  it('the targets are alive and well in account A (so NOT_FOUND above is isolation, not absence)', async () => {
    const snapshot = await ramSnapshot(t.client, A.token);
    expect(snapshot.users[userA.id]).toEqual({ name: userA.name, status: 'ACTIVE', policies: ['AliyunBailianControlReadOnlyAccess'] });
    expect(snapshot.users[disabledUserA.id]).toMatchObject({ status: 'DISABLED' });
    expect(snapshot.roles[roleA]).toMatchObject({
      status: 'ACTIVE',
      policies: ['AliyunBailianDataFullAccess'],
      trustedUserIds: [userA.id],
    });
    const node = await t.client.request<{ node: unknown }>(
      `query($id: ID!) { node(id: $id) { id ... on RamUser { status } } }`,
      { id: userA.id },
      { token: A.token },
    );
    expect(node.errors).toBeUndefined();
    expect(dataOf(node).node).toEqual({ id: userA.id, status: 'ACTIVE' });
  });

  it("createRamRole cannot trust another account's user: the same BAD_USER_INPUT as a user that does not exist", async () => {
    const before = await ramSnapshot(t.client, B.token);
    const create = (id: string) =>
      t.client.request(
        `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { id } }`,
        { input: { name: uniqueName('b-role'), trustedUserIds: [plainB.id, id] } },
        { token: B.token },
      );
    const foreign = await create(userA.id);
    expectError(foreign, 'BAD_USER_INPUT', { field: 'input.trustedUserIds[1]', dataField: 'createRamRole' });
    const nowhere = await create(MISSING.user);
    expectError(nowhere, 'BAD_USER_INPUT', { field: 'input.trustedUserIds[1]' });
    expect(firstError(foreign).message).toBe(firstError(nowhere).message);
    expect(await ramSnapshot(t.client, B.token)).toEqual(before);
  });

  it("account lists never show another account's principals", async () => {
    const ids = (list: IdConnection) => sorted(list.edges.map((e) => e.node.id));
    const ramQuery = `account { id
      ramUsers(first: 100) { edges { node { id } } }
      ramRoles(first: 100) { edges { node { id } } }`;
    const query = `{ ${ramQuery} modelStudioUsers(first: 100) { edges { node { id } } } } }`;
    /** What both queries answer (the role session's leaves out modelStudioUsers, which is then not read). */
    type AccountLists = { account: { id: string; ramUsers: IdConnection; ramRoles: IdConnection; modelStudioUsers: IdConnection } };
    // The role session holds AliyunRAMFullAccess only, which does not read the Model Studio user list.
    for (const [token, withModelStudio] of [
      [B.token, true],
      [ramAdminB.token, true],
      [roleSessionB, false],
    ] as const) {
      const result = await t.client.request<AccountLists>(withModelStudio ? query : `{ ${ramQuery} } }`, {}, { token });
      expect(result.errors).toBeUndefined();
      const { account } = dataOf(result);
      expect(account.id).toBe(B.accountId);
      expect(ids(account.ramUsers)).toEqual(sorted([ramAdminB.id, plainB.id]));
      expect(ids(account.ramRoles)).toHaveLength(1);
      if (withModelStudio) expect(ids(account.modelStudioUsers)).toEqual([B.rootId]);
    }
    const a = await t.client.ok<AccountLists>(query, {}, A.token);
    expect(ids(a.account.ramUsers)).toEqual(sorted([userA.id, disabledUserA.id]));
    expect(ids(a.account.ramRoles)).toEqual([roleA]);
    expect(ids(a.account.modelStudioUsers)).toEqual(sorted([A.rootId, userA.id]));
  });

  it("the reverse holds too: A's root cannot touch B's principals", async () => {
    const before = await ramSnapshot(t.client, B.token);
    expectError(await byId('disableRamUser')(A.token, plainB.id), 'NOT_FOUND', { dataField: 'disableRamUser' });
    expectError(await policy('attachPolicy', 'AliyunBailianDataFullAccess')(A.token, ramAdminB.id), 'NOT_FOUND', {
      dataField: 'attachPolicy',
    });
    expectError(await t.client.request(`query($id: ID!) { node(id: $id) { id } }`, { id: B.accountId }, { token: A.token }), 'NOT_FOUND', {
      dataField: 'node',
    });
    expect(await ramSnapshot(t.client, B.token)).toEqual(before);
  });
});
