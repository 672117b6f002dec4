import { beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  changeStatus,
  createRole,
  createUser,
  ramSnapshot,
  signUp,
  type TestAccount,
  type TestRole,
  type TestUser,
} from '../helpers/fixtures.js';
import { dataOf, firstError, type GraphQLResponse } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { expectError, uniqueName } from './support.js';

/**
 * Bad input to the identity operations answers BAD_USER_INPUT naming the field (or CONFLICT
 * for a duplicate), and writes nothing.
 */
const t = gatewayForThisFile();

let account: TestAccount;
let existingUser: TestUser;
let existingRole: TestRole;
let deletedUserId: string;

beforeAll(async () => {
  account = await signUp(t.client);
  existingUser = await createUser(t.client, account.token, uniqueName('Existing'));
  existingRole = await createRole(t.client, account.token, [existingUser.id], uniqueName('existing-role'));
  const deleted = await createUser(t.client, account.token, uniqueName('deleted'));
  await changeStatus(t.client, account.token, 'deleteRamUser', deleted.id);
  deletedUserId = deleted.id;
});

const CREATE_USER = `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id name } }`;
const CREATE_ROLE = `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { id name } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token principal { id } } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token } }`;

/** Runs `request` as the root and checks that the account's RAM users and roles did not change. */
async function unchanged(request: () => Promise<GraphQLResponse>): Promise<GraphQLResponse> {
  const before = await ramSnapshot(t.client, account.token);
  const result = await request();
  expect(await ramSnapshot(t.client, account.token)).toEqual(before);
  return result;
}

const validUser = () => {
  const name = uniqueName('u');
  return { name, displayName: `User ${name}`, password: PASSWORD };
};

describe('createRamUser', () => {
  it.each([
    ['an empty name', { name: '' }, 'input.name'],
    ['a blank name', { name: '   ' }, 'input.name'],
    ['a 65-character name', { name: 'n'.repeat(65) }, 'input.name'],
    ['a name with a space', { name: 'john doe' }, 'input.name'],
    ['a name with a tab', { name: 'john\tdoe' }, 'input.name'],
    ['a name with an @ (it would break login names)', { name: 'john@acme' }, 'input.name'],
    ['a name with non-ASCII letters', { name: 'jörg' }, 'input.name'],
    ['a name with a slash', { name: 'a/b' }, 'input.name'],
    ['an empty display name', { displayName: '' }, 'input.displayName'],
    ['a 65-character display name', { displayName: 'd'.repeat(65) }, 'input.displayName'],
    ['an 11-character password', { password: 'x'.repeat(11) }, 'input.password'],
    ['an empty password', { password: '' }, 'input.password'],
    ['a 257-character password', { password: 'p'.repeat(257) }, 'input.password'],
  ])('refuses %s: BAD_USER_INPUT on %s, nothing written', async (_case, override, field) => {
    const input = { ...validUser(), ...override };
    const result = await unchanged(() => t.client.request(CREATE_USER, { input }, { token: account.token }));
    expectError(result, 'BAD_USER_INPUT', { field, dataField: 'createRamUser' });
    expect(firstError(result).message).toContain(field);
  });

  it('accepts the boundaries: a 64-character name, a 12-character password, a 64-character display name with spaces', async () => {
    const name = `${uniqueName('b')}${'x'.repeat(64)}`.slice(0, 64);
    const input = { name, displayName: `A display name ${'y'.repeat(64)}`.slice(0, 64), password: 'twelve-chars' };
    expect(input.password).toHaveLength(12);
    const result = await t.client.request<{ createRamUser: { id: string; name: string } }>(
      CREATE_USER,
      { input },
      { token: account.token },
    );
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).createRamUser.name).toBe(name);
    const login = await t.client.request(LOGIN, { input: { loginName: `${name}@${account.accountName}`, password: 'twelve-chars' } });
    expect(login.errors).toBeUndefined();
  });

  it.each([
    ['the same name', () => existingUser.name],
    ['the same name in other letter case', () => existingUser.name.toLowerCase()],
    ['the same name in upper case', () => existingUser.name.toUpperCase()],
  ])('refuses %s as an existing user: CONFLICT on input.name, nothing written', async (_case, name) => {
    const result = await unchanged(() =>
      t.client.request(CREATE_USER, { input: { ...validUser(), name: name() } }, { token: account.token }),
    );
    expectError(result, 'CONFLICT', { field: 'input.name', dataField: 'createRamUser' });
    // The existing user is untouched: it still signs in with its password.
    expect((await t.client.request(LOGIN, { input: { loginName: existingUser.loginName, password: PASSWORD } })).errors).toBeUndefined();
  });

  it('refuses an extra input field (variable coercion): BAD_USER_INPUT, nothing written', async () => {
    const result = await unchanged(() =>
      t.client.request(CREATE_USER, { input: { ...validUser(), isAdmin: true } }, { token: account.token }),
    );
    expectError(result, 'BAD_USER_INPUT');
    expect(firstError(result).message).toContain('isAdmin');
    expect(result.data ?? null).toBeNull();
  });

  it('refuses a missing required input field: BAD_USER_INPUT, nothing written', async () => {
    const { password: _password, ...input } = validUser();
    const result = await unchanged(() => t.client.request(CREATE_USER, { input }, { token: account.token }));
    expectError(result, 'BAD_USER_INPUT');
    expect(firstError(result).message).toContain('password');
  });

  it('refuses an extra field written into the query itself (validation), nothing written', async () => {
    const input = validUser();
    const result = await unchanged(() =>
      t.client.request(
        `mutation { createRamUser(input: { name: "${input.name}", displayName: "x", password: "${PASSWORD}", isAdmin: true }) { id } }`,
        {},
        { token: account.token },
      ),
    );
    expectError(result, 'GRAPHQL_VALIDATION_FAILED');
  });
});

describe('createRamRole', () => {
  it.each([
    ['an empty name', () => ({ name: '' }), 'input.name'],
    ['a 65-character name', () => ({ name: 'r'.repeat(65) }), 'input.name'],
    ['a name with a space', () => ({ name: 'on call' }), 'input.name'],
    ['a 1,001-character description', () => ({ description: 'd'.repeat(1001) }), 'input.description'],
    ['a malformed trusted user ID', () => ({ trustedUserIds: ['nope'] }), 'input.trustedUserIds[0]'],
    ['a role ID among the trusted users', () => ({ trustedUserIds: [existingUser.id, existingRole.id] }), 'input.trustedUserIds[1]'],
    ["the root's ID among the trusted users", () => ({ trustedUserIds: [account.rootId] }), 'input.trustedUserIds[0]'],
    ['a deleted trusted user', () => ({ trustedUserIds: [deletedUserId] }), 'input.trustedUserIds[0]'],
    ['a trusted user that does not exist', () => ({ trustedUserIds: ['usr_zzzzzzzzzzzzzzzzzzzz'] }), 'input.trustedUserIds[0]'],
    [
      'more than 100 trusted users',
      () => ({ trustedUserIds: Array.from({ length: 101 }, (_, i) => `usr_${String(i).padStart(20, '0')}`) }),
      'input.trustedUserIds',
    ],
  ])('refuses %s: BAD_USER_INPUT on %s, nothing written', async (_case, override, field) => {
    const input = { name: uniqueName('role'), description: 'ok', trustedUserIds: [], ...override() };
    const result = await unchanged(() => t.client.request(CREATE_ROLE, { input }, { token: account.token }));
    expectError(result, 'BAD_USER_INPUT', { field, dataField: 'createRamRole' });
  });

  it.each([
    ['a malformed ID after a repeated one', () => [existingUser.id, existingUser.id, 'nope']],
    ['a missing user after a repeated one', () => [existingUser.id, existingUser.id, 'usr_zzzzzzzzzzzzzzzzzzzz']],
  ])('names the position of the bad trusted user as sent (%s): input.trustedUserIds[2]', async (_case, ids) => {
    const result = await unchanged(() =>
      t.client.request(CREATE_ROLE, { input: { name: uniqueName('role'), trustedUserIds: ids() } }, { token: account.token }),
    );
    expectError(result, 'BAD_USER_INPUT', { field: 'input.trustedUserIds[2]', dataField: 'createRamRole' });
  });

  it('refuses a duplicate role name (any letter case): CONFLICT on input.name, nothing written', async () => {
    for (const name of [existingRole.name, existingRole.name.toUpperCase()]) {
      const result = await unchanged(() => t.client.request(CREATE_ROLE, { input: { name } }, { token: account.token }));
      expectError(result, 'CONFLICT', { field: 'input.name', dataField: 'createRamRole' });
    }
  });

  it('accepts a 1,000-character description', async () => {
    const result = await t.client.request<{ createRamRole: { description: string } }>(
      `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { description } }`,
      { input: { name: uniqueName('long'), description: 'd'.repeat(1000) } },
      { token: account.token },
    );
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).createRamRole.description).toHaveLength(1000);
  });

  it('refuses an extra input field: BAD_USER_INPUT, nothing written', async () => {
    const result = await unchanged(() =>
      t.client.request(CREATE_ROLE, { input: { name: uniqueName('role'), policies: ['AliyunRAMFullAccess'] } }, { token: account.token }),
    );
    expectError(result, 'BAD_USER_INPUT');
    expect(firstError(result).message).toContain('policies');
  });
});

describe('malformed and mistyped IDs', () => {
  const byId =
    (field: string, arg = 'id') =>
    (id: string) =>
      t.client.request(`mutation($id: ID!) { ${field}(${arg}: $id) { __typename } }`, { id }, { token: account.token });
  const policy = (field: string) => (id: string) =>
    t.client.request(
      `mutation($id: ID!) { ${field}(input: { principalId: $id, policy: AliyunBailianControlReadOnlyAccess }) { id } }`,
      { id },
      { token: account.token },
    );

  const OPERATIONS: Array<[string, string, (id: string) => Promise<GraphQLResponse>, string]> = [
    ['disableRamUser', 'disableRamUser', byId('disableRamUser'), 'id'],
    ['enableRamUser', 'enableRamUser', byId('enableRamUser'), 'id'],
    ['deleteRamUser', 'deleteRamUser', byId('deleteRamUser'), 'id'],
    ['deleteRamRole', 'deleteRamRole', byId('deleteRamRole'), 'id'],
    ['assumeRole', 'assumeRole', byId('assumeRole', 'roleId'), 'roleId'],
    ['attachPolicy', 'attachPolicy', policy('attachPolicy'), 'input.principalId'],
    ['detachPolicy', 'detachPolicy', policy('detachPolicy'), 'input.principalId'],
  ];
  const MALFORMED = ['nope', '', 'usr_123', 'USR_AAAAAAAAAAAAAAAAAAAA', "usr_aaaaaaaaaaaaaaaaaaa'", 'rol_ zzzzzzzzzzzzzzzzzzz'];

  it.each(OPERATIONS.flatMap(([name, field, run, arg]) => MALFORMED.map((id) => ({ name, field, run, arg, id }))))(
    '$name with the malformed ID "$id": BAD_USER_INPUT on $arg, nothing written',
    async ({ field, run, arg, id }) => {
      const result = await unchanged(() => run(id));
      expectError(result, 'BAD_USER_INPUT', { field: arg, dataField: field });
    },
  );

  it.each([
    ['disableRamUser given a role ID', 'disableRamUser', () => byId('disableRamUser')(existingRole.id), 'id'],
    ['deleteRamUser given a role ID', 'deleteRamUser', () => byId('deleteRamUser')(existingRole.id), 'id'],
    ['deleteRamRole given a user ID', 'deleteRamRole', () => byId('deleteRamRole')(existingUser.id), 'id'],
    ['assumeRole given a user ID', 'assumeRole', () => byId('assumeRole', 'roleId')(existingUser.id), 'roleId'],
    ['attachPolicy given a workspace-shaped ID', 'attachPolicy', () => policy('attachPolicy')('llm-aaaaaaaaaaaaaaaa'), 'input.principalId'],
  ])('%s: BAD_USER_INPUT on the field, nothing written', async (_case, field, run, arg) => {
    const result = await unchanged(run);
    expectError(result, 'BAD_USER_INPUT', { field: arg, dataField: field });
  });

  it('node(id) with a malformed ID: BAD_USER_INPUT on id', async () => {
    for (const id of ['nope', 'usr_1']) {
      const result = await t.client.request(`query($id: ID!) { node(id: $id) { id } }`, { id }, { token: account.token });
      expectError(result, 'BAD_USER_INPUT', { field: 'id', dataField: 'node' });
    }
  });

  it('an unknown policy name: BAD_USER_INPUT (enum coercion), nothing written', async () => {
    const result = await unchanged(() =>
      t.client.request(
        `mutation($input: PolicyAttachmentInput!) { attachPolicy(input: $input) { id } }`,
        { input: { principalId: existingUser.id, policy: 'AdministratorAccess' } },
        { token: account.token },
      ),
    );
    expectError(result, 'BAD_USER_INPUT');
  });

  it('an extra field in the policy attachment: BAD_USER_INPUT, nothing written', async () => {
    const result = await unchanged(() =>
      t.client.request(
        `mutation($input: PolicyAttachmentInput!) { attachPolicy(input: $input) { id } }`,
        { input: { principalId: existingUser.id, policy: 'AliyunRAMFullAccess', accountId: account.accountId } },
        { token: account.token },
      ),
    );
    expectError(result, 'BAD_USER_INPUT');
  });
});

describe('account connections', () => {
  it.each([
    ['first over 100', { first: 101 }, 'first'],
    ['a negative first', { first: -1 }, 'first'],
    ['a forged cursor', { after: 'bm90LWEtY3Vyc29y' }, 'after'],
    ['a cursor with a bad timestamp', { after: Buffer.from(JSON.stringify(['yesterday', 'usr_x'])).toString('base64url') }, 'after'],
  ])('ramUsers with %s: BAD_USER_INPUT on %s', async (_case, args, field) => {
    const result = await t.client.request(
      `query($first: Int, $after: String) { account { ramUsers(first: $first, after: $after) { edges { node { id } } } } }`,
      args,
      { token: account.token },
    );
    expectError(result, 'BAD_USER_INPUT', { field });
  });
});

describe('signUp', () => {
  const fresh = () => {
    const name = uniqueName('signup');
    return { accountName: name, email: `${name}@example.com`, password: PASSWORD };
  };

  /** The sign-up wrote nothing: its (valid) e-mail cannot log in, and its valid name and e-mail are still free. */
  async function expectNothingWritten(base: { accountName: string; email: string; password: string }) {
    const login = await t.client.request(LOGIN, { input: { loginName: base.email, password: base.password } });
    expectError(login, 'UNAUTHENTICATED');
    const retry = await t.client.request(SIGN_UP, { input: base });
    expect(retry.errors, JSON.stringify(retry.errors)).toBeUndefined();
  }

  it.each([
    ['an empty account name', { accountName: '' }, 'input.accountName'],
    ['an account name with upper case', { accountName: 'Acme-Corp' }, 'input.accountName'],
    ['an account name with a space', { accountName: 'acme corp' }, 'input.accountName'],
    ['an account name with a dot', { accountName: 'acme.corp' }, 'input.accountName'],
    ['a two-character account name', { accountName: 'ab' }, 'input.accountName'],
    ['a 65-character account name', { accountName: 'a'.repeat(65) }, 'input.accountName'],
    ['an account name starting with a hyphen', { accountName: '-acme' }, 'input.accountName'],
    ['an empty e-mail', { email: '' }, 'input.email'],
    ['an e-mail without @', { email: 'acme.example.com' }, 'input.email'],
    ['an e-mail with a space', { email: 'ac me@example.com' }, 'input.email'],
    ['an 11-character password', { password: 'elevenchars' }, 'input.password'],
  ])('refuses %s: BAD_USER_INPUT on %s, nothing written', async (_case, override, field) => {
    const base = fresh();
    const result = await t.client.request(SIGN_UP, { input: { ...base, ...override } });
    expectError(result, 'BAD_USER_INPUT', { field, dataField: 'signUp' });
    await expectNothingWritten(base);
  });

  it('refuses a taken account name: CONFLICT on input.accountName, nothing written', async () => {
    const base = fresh();
    const result = await t.client.request(SIGN_UP, { input: { ...base, accountName: account.accountName } });
    expectError(result, 'CONFLICT', { field: 'input.accountName', dataField: 'signUp' });
    await expectNothingWritten(base);
    // The existing root still owns its name and signs in.
    expect((await t.client.request(LOGIN, { input: { loginName: account.email, password: PASSWORD } })).errors).toBeUndefined();
  });

  it.each([
    ['the same e-mail', () => account.email],
    ['the same e-mail in upper case', () => account.email.toUpperCase()],
  ])('refuses %s as an existing account: CONFLICT on input.email, nothing written', async (_case, email) => {
    const base = fresh();
    const result = await t.client.request(SIGN_UP, { input: { ...base, email: email() } });
    expectError(result, 'CONFLICT', { field: 'input.email', dataField: 'signUp' });
    await expectNothingWritten(base);
    const login = await t.client.request<{ login: { principal: { id: string } } }>(
      `mutation($input: LoginInput!) { login(input: $input) { principal { id } } }`,
      { input: { loginName: account.email, password: PASSWORD } },
    );
    expect(dataOf(login).login.principal.id).toBe(account.rootId);
  });

  it('refuses an extra input field: BAD_USER_INPUT, nothing written', async () => {
    const base = fresh();
    const result = await t.client.request(SIGN_UP, { input: { ...base, plan: 'enterprise' } });
    expectError(result, 'BAD_USER_INPUT');
    await expectNothingWritten(base);
  });
});

describe('the request body', () => {
  it('malformed JSON answers 400 with a clear error', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: '{"query": "mutation { createRamUser(',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]?.extensions.code).toBe('BAD_REQUEST');
  });
});
