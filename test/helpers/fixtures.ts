import { randomBytes } from 'node:crypto';
import type { GraphQLClient } from './graphql-client.js';

export const PASSWORD = 'correct horse battery staple';
const unique = () => randomBytes(4).toString('hex');

export interface TestAccount {
  accountName: string;
  email: string;
  token: string;
  rootId: string;
  accountId: string;
}

export async function signUp(client: GraphQLClient, name = `acme-${unique()}`): Promise<TestAccount> {
  const data = await client.ok<{ signUp: { token: string; principal: { id: string } } }>(
    `mutation($input: SignUpInput!) { signUp(input: $input) { token principal { id } } }`,
    { input: { accountName: name, email: `${name}@example.com`, password: PASSWORD } },
  );
  const token = data.signUp.token;
  const me = await client.ok<{ viewer: { account: { id: string } } }>(`{ viewer { account { id } } }`, {}, token);
  return { accountName: name, email: `${name}@example.com`, token, rootId: data.signUp.principal.id, accountId: me.viewer.account.id };
}

export interface TestUser {
  id: string;
  name: string;
  loginName: string;
  token: string;
}

/** A RAM user created by `adminToken`, signed in. */
export async function createUser(client: GraphQLClient, adminToken: string, name = `user-${unique()}`): Promise<TestUser> {
  const data = await client.ok<{ createRamUser: { id: string; loginName: string } }>(
    `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id loginName } }`,
    { input: { name, displayName: name, password: PASSWORD } },
    adminToken,
  );
  const { id, loginName } = data.createRamUser;
  return { id, name, loginName, token: await login(client, loginName) };
}

export async function login(client: GraphQLClient, loginName: string, password = PASSWORD): Promise<string> {
  const data = await client.ok<{ login: { token: string } }>(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
    input: { loginName, password },
  });
  return data.login.token;
}

export async function attachPolicy(client: GraphQLClient, adminToken: string, principalId: string, policy: string) {
  await client.ok(
    `mutation($input: PolicyAttachmentInput!) { attachPolicy(input: $input) { id } }`,
    { input: { principalId, policy } },
    adminToken,
  );
}

export interface TestRole {
  id: string;
  name: string;
}

/** A RAM role created by `adminToken`, trusted by `trustedUserIds`. */
export async function createRole(
  client: GraphQLClient,
  adminToken: string,
  trustedUserIds: string[] = [],
  name = `role-${unique()}`,
): Promise<TestRole> {
  const data = await client.ok<{ createRamRole: TestRole }>(
    `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { id name } }`,
    { input: { name, description: `test role ${name}`, trustedUserIds } },
    adminToken,
  );
  return { id: data.createRamRole.id, name: data.createRamRole.name };
}

/** A role session token: `userToken` assumes `roleId`. */
export async function assumeRole(client: GraphQLClient, userToken: string, roleId: string): Promise<string> {
  const data = await client.ok<{ assumeRole: { token: string } }>(
    `mutation($id: ID!) { assumeRole(roleId: $id) { token } }`,
    { id: roleId },
    userToken,
  );
  return data.assumeRole.token;
}

export async function detachPolicy(client: GraphQLClient, adminToken: string, principalId: string, policy: string) {
  await client.ok(
    `mutation($input: PolicyAttachmentInput!) { detachPolicy(input: $input) { id } }`,
    { input: { principalId, policy } },
    adminToken,
  );
}

/** Puts a RAM user or role on the account's Model Studio user list. */
export async function registerInModelStudio(client: GraphQLClient, adminToken: string, principalId: string) {
  await client.ok(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: principalId }, adminToken);
}

/** `disableRamUser`, `enableRamUser`, `deleteRamUser` or `deleteRamRole` on `id`, which must succeed. */
export async function changeStatus(
  client: GraphQLClient,
  adminToken: string,
  mutation: 'disableRamUser' | 'enableRamUser' | 'deleteRamUser' | 'deleteRamRole',
  id: string,
) {
  await client.ok(`mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id }, adminToken);
}

export interface RamSnapshot {
  users: Record<string, { name: string; status: string; policies: string[] }>;
  roles: Record<string, { name: string; status: string; policies: string[]; trustedUserIds: string[] }>;
}

interface Page<N> {
  edges: Array<{ node: N }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface RamUsersData {
  account: { ramUsers: Page<{ id: string; name: string; status: string; policies: string[] }> };
}

interface RamRolesData {
  account: { ramRoles: Page<{ id: string; name: string; status: string; policies: string[]; trustedUsers: Array<{ id: string }> }> };
}

const byCode = (a: string, b: string) => a.localeCompare(b);

/** Every live RAM user and role of the caller's account with status, policies and trust, read through the API (all pages). */
export async function ramSnapshot(client: GraphQLClient, token: string): Promise<RamSnapshot> {
  const snapshot: RamSnapshot = { users: {}, roles: {} };
  for (let after: string | null = null, more = true; more; ) {
    const data: RamUsersData = await client.ok<RamUsersData>(
      `query($after: String) { account { ramUsers(first: 100, after: $after) {
        edges { node { id name status policies } } pageInfo { hasNextPage endCursor } } } }`,
      { after },
      token,
    );
    for (const { node } of data.account.ramUsers.edges) {
      snapshot.users[node.id] = { name: node.name, status: node.status, policies: [...node.policies].sort(byCode) };
    }
    more = data.account.ramUsers.pageInfo.hasNextPage;
    after = data.account.ramUsers.pageInfo.endCursor;
  }
  for (let after: string | null = null, more = true; more; ) {
    const data: RamRolesData = await client.ok<RamRolesData>(
      `query($after: String) { account { ramRoles(first: 100, after: $after) {
        edges { node { id name status policies trustedUsers { id } } } pageInfo { hasNextPage endCursor } } } }`,
      { after },
      token,
    );
    for (const { node } of data.account.ramRoles.edges) {
      snapshot.roles[node.id] = {
        name: node.name,
        status: node.status,
        policies: [...node.policies].sort(byCode),
        trustedUserIds: node.trustedUsers.map((u) => u.id).sort(byCode),
      };
    }
    more = data.account.ramRoles.pageInfo.hasNextPage;
    after = data.account.ramRoles.pageInfo.endCursor;
  }
  return snapshot;
}
