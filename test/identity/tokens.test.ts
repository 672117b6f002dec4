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
import {
  AUDIENCE,
  ISSUER,
  VIEWER,
  expectError,
  payloadOf,
  signToken,
  signedPayload,
  uniqueName,
  unsignedCopy,
  withAlteredSignature,
  withPayload,
  withSignatureSpelledAnotherWay,
  type ViewerData,
} from './support.js';

/** Session tokens and API keys the gateway did not issue, or no longer honours, are UNAUTHENTICATED. */
const t = gatewayForThisFile();

let account: TestAccount;
let other: TestAccount;
let user: TestUser;
let roleId: string;

const viewerWithHeader = (authorization: string) => t.client.request<ViewerData>(VIEWER, {}, { headers: { authorization } });
const viewerWith = (token: string) => t.client.request<ViewerData>(VIEWER, {}, { token });

beforeAll(async () => {
  account = await signUp(t.client);
  other = await signUp(t.client);
  user = await createUser(t.client, account.token, uniqueName('tok'));
  roleId = (await createRole(t.client, account.token, [user.id])).id;
});

describe('hand-made tokens', () => {
  it('a token signed exactly as the gateway signs works (so the refusals below are about the one change each makes)', async () => {
    const token = await signToken({ sub: user.id, acc: account.accountId });
    const result = await viewerWith(token);
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).viewer.principal).toMatchObject({ id: user.id, kind: 'RAM_USER' });
  });

  it("the gateway's own token carries the documented claims", async () => {
    const claims = payloadOf(user.token);
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: user.id, acc: account.accountId });
    expect(typeof claims.exp).toBe('number');
  });

  const REFUSED: Array<[string, () => Promise<string>]> = [
    ['a changed signature byte', async () => withAlteredSignature(user.token)],
    [
      'a signature by another key',
      async () => signToken({ sub: user.id, acc: account.accountId, secret: `${'x'.repeat(40)}-another-key` }),
    ],
    ['the signature spelled another way (same bytes)', async () => withSignatureSpelledAnotherWay(user.token)],
    ['a fourth segment', async () => `${user.token}.${user.token.split('.')[2]}`],
    ['no signature at all', async () => `${user.token.split('.').slice(0, 2).join('.')}.`],
    ['alg: none', async () => unsignedCopy(user.token)],
    ['alg: none, claiming the root', async () => unsignedCopy(await signToken({ sub: account.rootId, acc: account.accountId }))],
    [
      "a payload swapped for the root's, with the user's signature",
      async () => withPayload(user.token, { ...payloadOf(user.token), sub: account.rootId }),
    ],
    ['the right key but another issuer', async () => signToken({ sub: user.id, acc: account.accountId, issuer: 'someone-else' })],
    [
      'the right key but another audience',
      async () => signToken({ sub: user.id, acc: account.accountId, audience: 'model-studio-gateway/api' }),
    ],
    [
      'the right key but a list of audiences holding the right one',
      async () => signToken({ sub: user.id, acc: account.accountId, audience: [AUDIENCE] }),
    ],
    [
      'the right key but the header fields in another order',
      async () => {
        const token = await signToken({ sub: user.id, acc: account.accountId, header: { typ: 'JWT', alg: 'HS256' } });
        const header = Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8');
        if (header !== '{"typ":"JWT","alg":"HS256"}') throw new Error(`unexpected header ${header}`);
        return token;
      },
    ],
    ['the right key but a payload that is not an object (null)', async () => signedPayload(null)],
    ['the right key but another algorithm (HS512)', async () => signToken({ sub: user.id, acc: account.accountId, alg: 'HS512' })],
    ['an expired token', async () => signToken({ sub: user.id, acc: account.accountId, expiresIn: -60 })],
    ['a token without expiry', async () => signToken({ sub: user.id, acc: account.accountId, omit: ['exp'] })],
    ['a token without issued-at', async () => signToken({ sub: user.id, acc: account.accountId, omit: ['iat'] })],
    ['a token without the account claim', async () => signToken({ sub: user.id, omit: ['acc'] })],
    ["another account's ID in the account claim", async () => signToken({ sub: user.id, acc: other.accountId })],
    ['a principal that does not exist', async () => signToken({ sub: 'usr_00000000000000000000', acc: account.accountId })],
    ['a role session without the assuming user', async () => signToken({ sub: roleId, acc: account.accountId })],
    ['a role session "assumed" by the root', async () => signToken({ sub: roleId, acc: account.accountId, act: { sub: account.rootId } })],
    ['a user session claiming to be assumed', async () => signToken({ sub: user.id, acc: account.accountId, act: { sub: user.id } })],
    ['a JWT cut short', async () => user.token.slice(0, -10)],
    ['garbage', async () => 'not-a-jwt'],
  ];

  it.each(REFUSED)('refuses %s as UNAUTHENTICATED', async (_case, make) => {
    const token = await make();
    const result = await viewerWith(token);
    expectError(result, 'UNAUTHENTICATED');
    expect(result.data?.viewer ?? null).toBeNull();
    // A forged token changes nothing either.
    const create = await t.client.request(
      `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id } }`,
      { input: { name: uniqueName('forged'), displayName: 'forged', password: PASSWORD } },
      { token },
    );
    expectError(create, 'UNAUTHENTICATED', { dataField: 'createRamUser' });
  });

  it('none of the refused tokens created anything', async () => {
    const snapshot = await ramSnapshot(t.client, account.token);
    expect(Object.keys(snapshot.users)).toEqual([user.id]);
    expect(Object.values(snapshot.users)[0]).toMatchObject({ status: 'ACTIVE', policies: [] });
    expect(Object.keys(snapshot.roles)).toEqual([roleId]);
  });

  it('a genuine role session token still works (control for the role cases above)', async () => {
    const token = await assumeRole(t.client, user.token, roleId);
    const result = await viewerWith(token);
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).viewer).toMatchObject({ principal: { id: roleId, kind: 'RAM_ROLE' }, assumedBy: { id: user.id } });
  });
});

describe('the Authorization header', () => {
  it.each([
    ['a scheme other than Bearer', () => `Basic ${Buffer.from(`${account.email}:${PASSWORD}`).toString('base64')}`],
    ['Bearer without a token', () => 'Bearer'],
    ['Bearer and blanks', () => 'Bearer    '],
    ['a token without a scheme', () => user.token],
    ['two tokens', () => `Bearer ${user.token} ${user.token}`],
    ['a token with a trailing word', () => `Bearer ${user.token} please`],
    ['Token instead of Bearer', () => `Token ${user.token}`],
  ])('refuses %s as UNAUTHENTICATED', async (_case, header) => {
    const result = await viewerWithHeader(header());
    expectError(result, 'UNAUTHENTICATED');
  });

  it('accepts the documented form', async () => {
    const result = await viewerWithHeader(`Bearer ${user.token}`);
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).viewer.principal.id).toBe(user.id);
  });
});

describe('API keys that do not exist', () => {
  it.each([
    ['a well-formed key nobody issued', () => `sk-${'A'.repeat(43)}`],
    ['a key too short to be one', () => 'sk-abc'],
    ['a key with characters no key has', () => `sk-${'!'.repeat(43)}`],
  ])('refuses %s as UNAUTHENTICATED', async (_case, key) => {
    const result = await viewerWith(key());
    expectError(result, 'UNAUTHENTICATED');
    expectError(await t.client.request(`{ account { id } }`, {}, { token: key() }), 'UNAUTHENTICATED');
  });
});

describe('genuine API keys', () => {
  let keyOwner: TestUser;
  let ownerKey: string;
  let rootKey: string;

  beforeAll(async () => {
    const activated = await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      account.token,
    );
    const workspaceId = activated.activateModelStudio.id;
    const createKey = async (token: string) =>
      (
        await t.client.ok<{ createApiKey: { secret: string } }>(
          `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret } }`,
          { w: workspaceId },
          token,
        )
      ).createApiKey.secret;
    rootKey = await createKey(account.token);
    // A key owner who, in the console, may administer RAM identities and create keys.
    keyOwner = await createUser(t.client, account.token, uniqueName('key-owner'));
    await attachPolicy(t.client, account.token, keyOwner.id, 'AliyunRAMFullAccess');
    await attachPolicy(t.client, account.token, keyOwner.id, 'AliyunBailianControlFullAccess');
    ownerKey = await createKey(keyOwner.token);
  });

  const createUserWith = (token: string) =>
    t.client.request(
      `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id } }`,
      { input: { name: uniqueName('by-key'), displayName: 'by key', password: PASSWORD } },
      { token },
    );

  it('authenticate as their owner but reach no identity administration (FORBIDDEN), whoever owns them', async () => {
    const before = await ramSnapshot(t.client, account.token);
    for (const [key, owner] of [
      [rootKey, account.rootId],
      [ownerKey, keyOwner.id],
    ] as const) {
      const me = await t.client.request<{ viewer: unknown }>(`{ viewer { principal { id } credential } }`, {}, { token: key });
      expect(me.errors).toBeUndefined();
      expect(dataOf(me).viewer).toEqual({ principal: { id: owner }, credential: 'API_KEY' });
      expectError(await createUserWith(key), 'FORBIDDEN', { dataField: 'createRamUser' });
      const attach = await t.client.request(
        `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianFullAccess }) { id } }`,
        { id: keyOwner.id },
        { token: key },
      );
      expectError(attach, 'FORBIDDEN', { dataField: 'attachPolicy' });
      expectError(
        await t.client.request(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: user.id }, { token: key }),
        'FORBIDDEN',
      );
    }
    expect(await ramSnapshot(t.client, account.token)).toEqual(before);
  });

  it('stop authenticating identity operations while the owner is disabled (UNAUTHENTICATED) and for good once it is deleted', async () => {
    await changeStatus(t.client, account.token, 'disableRamUser', keyOwner.id);
    expectError(await createUserWith(ownerKey), 'UNAUTHENTICATED', { dataField: 'createRamUser' });
    expectError(await t.client.request(`{ account { id } }`, {}, { token: ownerKey }), 'UNAUTHENTICATED');
    await changeStatus(t.client, account.token, 'enableRamUser', keyOwner.id);
    expect((await t.client.request(`{ account { id } }`, {}, { token: ownerKey })).errors).toBeUndefined();

    await changeStatus(t.client, account.token, 'deleteRamUser', keyOwner.id);
    expectError(await viewerWith(ownerKey), 'UNAUTHENTICATED');
    expectError(await t.client.request(`{ account { id } }`, {}, { token: ownerKey }), 'UNAUTHENTICATED');
    // The root's key is unaffected.
    expect((await viewerWith(rootKey)).errors).toBeUndefined();
  });
});
