import { beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  attachPolicy,
  changeStatus,
  createUser,
  login,
  ramSnapshot,
  signUp,
  type TestAccount,
  type TestUser,
} from '../helpers/fixtures.js';
import { dataOf, firstError } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { VIEWER, expectError, uniqueName, type ViewerData } from './support.js';

/** signUp and login through the API, and how a principal's status governs its sessions. */
const t = gatewayForThisFile();

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token expiresAt principal { id kind name } } }`;
interface LoginData {
  login: { token: string; expiresAt: string; principal: { id: string; kind: string; name: string } };
}
const loginAs = (loginName: string, password = PASSWORD) => t.client.request<LoginData>(LOGIN, { input: { loginName, password } });
const viewerOf = (token: string) => t.client.request<ViewerData>(VIEWER, {}, { token });

let account: TestAccount;
let invalidLoginMessage: string;

beforeAll(async () => {
  account = await signUp(t.client);
  const wrong = await loginAs(account.email, 'not the right password');
  expectError(wrong, 'UNAUTHENTICATED', { dataField: 'login' });
  invalidLoginMessage = firstError(wrong).message;
});

describe('signUp', () => {
  it('creates an account whose root session works at once', async () => {
    const name = uniqueName('signup');
    const result = await t.client.request<{ signUp: { token: string; expiresAt: string; principal: { id: string } } }>(
      `mutation($input: SignUpInput!) { signUp(input: $input) { token expiresAt principal { id kind name status ... on RootPrincipal { email } } } }`,
      { input: { accountName: name, email: `${name}@Example.com`, password: PASSWORD } },
    );
    expect(result.errors).toBeUndefined();
    const session = dataOf(result).signUp;
    expect(session.principal).toMatchObject({ kind: 'ROOT', name, status: 'ACTIVE', email: `${name}@Example.com` });
    expect(session.principal.id).toMatch(/^rt_/);
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());

    const me = await t.client.request<{ viewer: unknown }>(
      `{ viewer { principal { id kind } account { id name } isSuperAdministrator credential policies assumedBy { id } } }`,
      {},
      { token: session.token },
    );
    expect(me.errors).toBeUndefined();
    expect(dataOf(me).viewer).toMatchObject({
      principal: { id: session.principal.id, kind: 'ROOT' },
      account: { name },
      isSuperAdministrator: true,
      credential: 'SESSION',
      policies: [],
      assumedBy: null,
    });
    // A new account starts with no RAM user and no RAM role.
    expect(await ramSnapshot(t.client, session.token)).toEqual({ users: {}, roles: {} });
  });
});

describe('login as the root', () => {
  it('signs in with the e-mail address and the right password', async () => {
    const result = await loginAs(account.email);
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).login.principal).toEqual({ id: account.rootId, kind: 'ROOT', name: account.accountName });
    const expiresAt = Date.parse(dataOf(result).login.expiresAt);
    expect(expiresAt).toBeGreaterThan(Date.now() + 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + t.config.sessionTtlSeconds * 1000 + 5_000);
    const me = await viewerOf(dataOf(result).login.token);
    expect(me.errors).toBeUndefined();
    expect(dataOf(me).viewer.principal.id).toBe(account.rootId);
  });

  it('matches the e-mail address case-insensitively', async () => {
    for (const variant of [account.email.toUpperCase(), account.email.replace(/^./, (c) => c.toUpperCase())]) {
      const result = await loginAs(variant);
      expect(result.errors, variant).toBeUndefined();
      expect(dataOf(result).login.principal.id).toBe(account.rootId);
    }
  });

  it('refuses a wrong password as UNAUTHENTICATED with the same message as an unknown user', async () => {
    const wrong = await loginAs(account.email, `${PASSWORD}!`);
    expectError(wrong, 'UNAUTHENTICATED', { dataField: 'login' });
    const unknown = await loginAs(`nobody-${account.accountName}@example.com`);
    expectError(unknown, 'UNAUTHENTICATED', { dataField: 'login' });
    expect(firstError(wrong).message).toBe(invalidLoginMessage);
    expect(firstError(unknown).message).toBe(invalidLoginMessage);
  });

  it('does not sign the root in by its account name', async () => {
    const result = await loginAs(account.accountName);
    expectError(result, 'UNAUTHENTICATED', { dataField: 'login' });
    expect(firstError(result).message).toBe(invalidLoginMessage);
  });
});

describe('login as a RAM user', () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await createUser(t.client, account.token, uniqueName('alice'));
  });

  it('signs in with <name>@<accountName>', async () => {
    expect(user.loginName).toBe(`${user.name}@${account.accountName}`);
    const result = await loginAs(`${user.name}@${account.accountName}`);
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).login.principal).toEqual({ id: user.id, kind: 'RAM_USER', name: user.name });
    const me = await t.client.request<{ viewer: unknown }>(
      `{ viewer { principal { id kind ... on RamUser { loginName } }
 account { id } credential policies isSuperAdministrator } }`,
      {},
      { token: dataOf(result).login.token },
    );
    expect(me.errors).toBeUndefined();
    expect(dataOf(me).viewer).toEqual({
      principal: { id: user.id, kind: 'RAM_USER', loginName: user.loginName },
      account: { id: account.accountId },
      credential: 'SESSION',
      policies: [],
      isSuperAdministrator: false,
    });
  });

  it.each<[string, () => [string, string]]>([
    ['a wrong password', () => [user.loginName, 'wrong password 123']],
    ['an unknown user name in a known account', () => [`nobody-${user.name}@${account.accountName}`, PASSWORD]],
    ['a known user name in an unknown account', () => [`${user.name}@no-such-account-${account.accountName}`, PASSWORD]],
    ['the bare user name', () => [user.name, PASSWORD]],
    ['an empty password', () => [user.loginName, '']],
  ])('refuses %s with the same UNAUTHENTICATED message', async (_case, credentials) => {
    const [loginName, password] = credentials();
    const result = await loginAs(loginName, password);
    expectError(result, 'UNAUTHENTICATED', { dataField: 'login' });
    expect(firstError(result).message).toBe(invalidLoginMessage);
  });

  it("does not sign in another account's user with this account's suffix", async () => {
    const other = await signUp(t.client);
    const stranger = await createUser(t.client, other.token, uniqueName('stranger'));
    const result = await loginAs(`${stranger.name}@${account.accountName}`);
    expectError(result, 'UNAUTHENTICATED', { dataField: 'login' });
    expect(firstError(result).message).toBe(invalidLoginMessage);
    // …while its own login name works.
    expect((await loginAs(stranger.loginName)).errors).toBeUndefined();
  });
});

describe('a disabled RAM user', () => {
  it('loses its existing session on the very next request, cannot log in, and works again once enabled', async () => {
    const user = await createUser(t.client, account.token, uniqueName('dis'));
    expect((await viewerOf(user.token)).errors).toBeUndefined();

    await changeStatus(t.client, account.token, 'disableRamUser', user.id);
    expect((await ramSnapshot(t.client, account.token)).users[user.id]?.status).toBe('DISABLED');

    expectError(await viewerOf(user.token), 'UNAUTHENTICATED');
    expectError(await loginAs(user.loginName), 'UNAUTHENTICATED', { dataField: 'login' });
    // A wrong password for a disabled user reads exactly as for anyone else.
    const wrong = await loginAs(user.loginName, 'wrong password 123');
    expectError(wrong, 'UNAUTHENTICATED');
    expect(firstError(wrong).message).toBe(invalidLoginMessage);

    await changeStatus(t.client, account.token, 'enableRamUser', user.id);
    expect((await ramSnapshot(t.client, account.token)).users[user.id]?.status).toBe('ACTIVE');
    const again = await viewerOf(user.token);
    expect(again.errors).toBeUndefined();
    expect(dataOf(again).viewer.principal.id).toBe(user.id);
    const fresh = await loginAs(user.loginName);
    expect(fresh.errors).toBeUndefined();
    expect(dataOf(await viewerOf(dataOf(fresh).login.token)).viewer.principal.id).toBe(user.id);
  });

  it('cannot use a RAM administrator policy while disabled: UNAUTHENTICATED, not FORBIDDEN, and nothing changes', async () => {
    const admin = await createUser(t.client, account.token, uniqueName('ramadmin'));
    await attachPolicy(t.client, account.token, admin.id, 'AliyunRAMFullAccess');
    const victim = await createUser(t.client, account.token, uniqueName('victim'));
    await changeStatus(t.client, account.token, 'disableRamUser', admin.id);
    const before = await ramSnapshot(t.client, account.token);

    const create = await t.client.request(
      `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id } }`,
      { input: { name: uniqueName('sneaky'), displayName: 'sneaky', password: PASSWORD } },
      { token: admin.token },
    );
    expectError(create, 'UNAUTHENTICATED', { dataField: 'createRamUser' });
    const disable = await t.client.request(
      `mutation($id: ID!) { disableRamUser(id: $id) { id } }`,
      { id: victim.id },
      { token: admin.token },
    );
    expectError(disable, 'UNAUTHENTICATED', { dataField: 'disableRamUser' });
    const attach = await t.client.request(
      `mutation { attachPolicy(input: { principalId: "${victim.id}", policy: AliyunRAMFullAccess }) { id } }`,
      {},
      { token: admin.token },
    );
    expectError(attach, 'UNAUTHENTICATED', { dataField: 'attachPolicy' });

    expect(await ramSnapshot(t.client, account.token)).toEqual(before);
  });
});

describe('a deleted RAM user', () => {
  it('loses its session for ever and cannot log in (reads as an unknown user)', async () => {
    const user = await createUser(t.client, account.token, uniqueName('gone'));
    await changeStatus(t.client, account.token, 'deleteRamUser', user.id);

    expectError(await viewerOf(user.token), 'UNAUTHENTICATED');
    const create = await t.client.request(
      `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { id } }`,
      { input: { name: uniqueName('r') } },
      { token: user.token },
    );
    expectError(create, 'UNAUTHENTICATED', { dataField: 'createRamRole' });
    const result = await loginAs(user.loginName);
    expectError(result, 'UNAUTHENTICATED', { dataField: 'login' });
    expect(firstError(result).message).toBe(invalidLoginMessage);
    expect((await ramSnapshot(t.client, account.token)).users[user.id]).toBeUndefined();
  });

  it('cannot be brought back by enableRamUser', async () => {
    const user = await createUser(t.client, account.token, uniqueName('gone2'));
    await changeStatus(t.client, account.token, 'deleteRamUser', user.id);
    const enable = await t.client.request(
      `mutation($id: ID!) { enableRamUser(id: $id) { id status } }`,
      { id: user.id },
      { token: account.token },
    );
    expectError(enable, 'NOT_FOUND', { dataField: 'enableRamUser' });
    expectError(await viewerOf(user.token), 'UNAUTHENTICATED');
    expectError(await loginAs(user.loginName), 'UNAUTHENTICATED');
  });
});

describe('the root', () => {
  it('cannot be disabled, deleted or given policies: its ID is not a RAM user ID', async () => {
    const before = await ramSnapshot(t.client, account.token);
    for (const mutation of ['disableRamUser', 'deleteRamUser', 'deleteRamRole']) {
      const result = await t.client.request(
        `mutation($id: ID!) { ${mutation}(id: $id) { id } }`,
        { id: account.rootId },
        { token: account.token },
      );
      expectError(result, 'BAD_USER_INPUT', { field: 'id', dataField: mutation });
    }
    const attach = await t.client.request(
      `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianControlReadOnlyAccess }) { id } }`,
      { id: account.rootId },
      { token: account.token },
    );
    expectError(attach, 'BAD_USER_INPUT', { field: 'input.principalId', dataField: 'attachPolicy' });
    expect(dataOf(await viewerOf(account.token)).viewer.principal.id).toBe(account.rootId);
    expect(await ramSnapshot(t.client, account.token)).toEqual(before);
  });
});

describe('no credentials', () => {
  it('reaches signUp and login only', async () => {
    expectError(await t.client.request(VIEWER), 'UNAUTHENTICATED');
    expectError(await t.client.request(`{ account { id } }`), 'UNAUTHENTICATED');
    const create = await t.client.request(`mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id } }`, {
      input: { name: uniqueName('anon'), displayName: 'anon', password: PASSWORD },
    });
    expectError(create, 'UNAUTHENTICATED', { dataField: 'createRamUser' });
    expect((await loginAs(account.email)).errors).toBeUndefined();
    // Logging in again does not end earlier sessions.
    expect((await viewerOf(await login(t.client, account.email))).errors).toBeUndefined();
    expect((await viewerOf(account.token)).errors).toBeUndefined();
  });
});
