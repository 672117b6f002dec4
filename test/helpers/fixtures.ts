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
  const data = await client.ok(
    `mutation($input: SignUpInput!) { signUp(input: $input) { token principal { id } } }`,
    { input: { accountName: name, email: `${name}@example.com`, password: PASSWORD } },
  );
  const token = data.signUp.token as string;
  const me = await client.ok(`{ viewer { account { id } } }`, {}, token);
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
  const data = await client.ok(
    `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id loginName } }`,
    { input: { name, displayName: name, password: PASSWORD } },
    adminToken,
  );
  const { id, loginName } = data.createRamUser;
  return { id, name, loginName, token: await login(client, loginName) };
}

export async function login(client: GraphQLClient, loginName: string, password = PASSWORD): Promise<string> {
  const data = await client.ok(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
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
