import { decodeJwt, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { SessionSigner } from '../../src/auth/session.js';
import { changeStatus, type TestUser } from '../helpers/fixtures.js';
import type { GraphQLResponse } from '../helpers/graphql-client.js';
import {
  apiKeyIds,
  authorizeModel,
  createKey,
  deleteKey,
  expectError,
  missingId,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  removeMember,
  setPages,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile, TEST_JWT_SECRET } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

/** A temporary key's expiry, as the signer takes it. */
const inTenMinutes = () => new Date(Date.now() + 600_000);

// The tests speak for an inference proxy on 127.0.0.1 that passes its client's address as sourceIp.
const t = gatewayForThisFile({ trustedProxies: ['127.0.0.1/32'] });

const MODEL = 'qwen-plus';
const OTHER_MODEL = 'qwen-max';

interface TemporaryKey {
  secret: string;
  expiresAt: string;
  apiKeyId: string;
}

const CREATE_TEMPORARY = `mutation($s: Int!) { createTemporaryApiKey(input: { expiresInSeconds: $s }) { secret expiresAt apiKeyId } }`;
const VIEWER = `{ viewer { principal { id } credential } }`;
const SET_STATUS = `mutation($id: ID!, $s: ApiKeyStatusSetting!) { setApiKeyStatus(input: { id: $id, status: $s }) { status } }`;
const ROTATE = `mutation($id: ID!, $g: Int) { rotateApiKey(input: { id: $id, gracePeriodSeconds: $g }) { secret previousSecretExpiresAt } }`;
const UPDATE = `mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.code ?? 'OK';

const requestTemporary = (token: string, seconds: number) =>
  t.client.request<{ createTemporaryApiKey: TemporaryKey | null }>(CREATE_TEMPORARY, { s: seconds }, { token });

async function temporaryKey(parentSecret: string, seconds = 600): Promise<TemporaryKey> {
  const data = await t.client.ok<{ createTemporaryApiKey: TemporaryKey | null }>(CREATE_TEMPORARY, { s: seconds }, parentSecret);
  return defined(data.createTemporaryApiKey, 'the temporary key');
}

/** 'OK' when `secret` authenticates a plain query, else the error code. */
const viewerWith = async (secret: string) => codeOf(await t.client.request(VIEWER, {}, { token: secret }));

/** What `secret` gets from modelAccess and from any other query. */
const answers = async (secret: string) => [await modelCall(t.client, secret, MODEL), await viewerWith(secret)];
const WORKS = ['ALLOWED', 'OK'];
const REFUSED = ['UNAUTHENTICATED', 'UNAUTHENTICATED'];

describe('createTemporaryApiKey', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;
  let parent: CreatedKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    parent = await createKey(t.client, owner.token, account.W);
  });

  it('returns an st- secret, its expiry and the parent key; it acts as the parent, for its owner in its workspace', async () => {
    const asked = Date.now();
    const temporary = await temporaryKey(parent.secret, 600);
    expect(temporary.secret).toMatch(/^st-\S+$/);
    expect(temporary.apiKeyId).toBe(parent.id);
    const expiresAt = Date.parse(temporary.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(asked + 598_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 601_000);

    expect(await answers(temporary.secret)).toEqual(WORKS);
    const viewer = await t.client.ok<{ viewer: { principal: { id: string }; credential: string } }>(VIEWER, {}, temporary.secret);
    expect(viewer.viewer).toEqual({ principal: { id: owner.id }, credential: 'API_KEY' });
    const workspaces = await t.client.ok<{ workspaces: { edges: Array<{ node: { id: string } }> } }>(
      `{ workspaces(first: 100) { edges { node { id } } } }`,
      {},
      temporary.secret,
    );
    expect(workspaces.workspaces.edges.map((e) => e.node.id)).toEqual([account.W]);
    // The parent keeps working beside it.
    expect(await answers(parent.secret)).toEqual(WORKS);
  });

  it('the limits (1 s and 1,800 s) are accepted', async () => {
    const longest = await temporaryKey(parent.secret, 1_800);
    expect(Math.abs(Date.parse(longest.expiresAt) - (Date.now() + 1_800_000))).toBeLessThan(5_000);
    const shortest = await temporaryKey(parent.secret, 1);
    // Whole seconds, rounded up: at most a second past what was asked.
    expect(Date.parse(shortest.expiresAt)).toBeLessThanOrEqual(Date.now() + 2_000);
  });

  it.each([1, 2, 60])('a key asked for %i s lives at least that long from the request, and works at once', async (seconds) => {
    const asked = Date.now();
    const temporary = await temporaryKey(parent.secret, seconds);
    expect(
      Date.parse(temporary.expiresAt),
      `expiresAt ${temporary.expiresAt}, asked at ${new Date(asked).toISOString()}`,
    ).toBeGreaterThanOrEqual(asked + seconds * 1000);
    expect(Date.parse(temporary.expiresAt)).toBeLessThanOrEqual(Date.now() + seconds * 1000 + 1_000);
    expect(await answers(temporary.secret)).toEqual(WORKS);
  });

  it.each([
    ['0', 0],
    ['1,801', 1_801],
    ['-1', -1],
  ])('expiresInSeconds %s → BAD_USER_INPUT naming input.expiresInSeconds', async (_name, seconds) => {
    const result = await requestTemporary(parent.secret, seconds);
    expectError(result, 'BAD_USER_INPUT', 'input.expiresInSeconds');
    expect(result.data?.createTemporaryApiKey ?? null).toBeNull();
  });

  it('a console session (root, key manager or key owner) → FORBIDDEN: only an API key may derive one', async () => {
    const fullAccess = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
    for (const token of [account.token, owner.token, fullAccess.token]) {
      const result = await requestTemporary(token, 60);
      expectError(result, 'FORBIDDEN');
      expect(result.data?.createTemporaryApiKey ?? null).toBeNull();
    }
  });

  it('an AccessKey pair → FORBIDDEN', async () => {
    const created = await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
      `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`,
      { p: owner.id },
      account.token,
    );
    const pair = `${created.createAccessKey.accessKey.id}:${created.createAccessKey.secret}`;
    expect(await viewerWith(pair)).toBe('OK');
    expectError(await requestTemporary(pair, 60), 'FORBIDDEN');
  });

  it('a temporary key may not derive another → FORBIDDEN', async () => {
    const temporary = await temporaryKey(parent.secret);
    const result = await requestTemporary(temporary.secret, 60);
    expectError(result, 'FORBIDDEN');
    expect(result.data?.createTemporaryApiKey ?? null).toBeNull();
  });

  it('a temporary key reaches no management operation (FORBIDDEN), and its parent is untouched', async () => {
    const temporary = await temporaryKey(parent.secret);
    const keysBefore = await apiKeyIds(t.client, account.token, account.W);
    const operations: Array<[string, Record<string, unknown>]> = [
      [`mutation { createWorkspace(input: { name: "by-temporary-key", region: CN_BEIJING }) { id } }`, {}],
      [`mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret } }`, { w: account.W }],
      [SET_STATUS, { id: parent.id, s: 'DISABLED' }],
      [ROTATE, { id: parent.id, g: 0 }],
      [UPDATE, { input: { id: parent.id, description: 'by temporary key' } }],
      [`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: parent.id }],
      [
        `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [ADMINISTRATOR] }) { pages } }`,
        { w: account.W, p: owner.id },
      ],
    ];
    for (const [query, variables] of operations) {
      expectError(await t.client.request(query, variables, { token: temporary.secret }), 'FORBIDDEN');
    }
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual(keysBefore);
    expect(await answers(parent.secret)).toEqual(WORKS);
    expect(await answers(temporary.secret)).toEqual(WORKS);
  });
});

describe('a temporary key has its parent’s scope and allowlist', () => {
  let account: ModelStudioAccount;
  let parent: CreatedKey;
  let temporary: TemporaryKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    await authorizeModel(t.client, account.token, account.W, OTHER_MODEL);
    parent = await createKey(t.client, account.token, account.W, { modelScope: [OTHER_MODEL], ipAllowlist: ['10.0.0.0/8'] });
    temporary = await temporaryKey(parent.secret);
  });

  it.each([
    [OTHER_MODEL, '10.1.2.3', 'ALLOWED'],
    [MODEL, '10.1.2.3', 'OUTSIDE_KEY_SCOPE'],
    [OTHER_MODEL, '11.0.0.1', 'SOURCE_IP_NOT_ALLOWED'],
    ['qwen-turbo', '10.1.2.3', 'MODEL_NOT_AUTHORIZED'],
  ])('%s from %s answers %s, as the parent does', async (model, ip, expected) => {
    expect(await modelCall(t.client, temporary.secret, model, ip)).toBe(expected);
    expect(await modelCall(t.client, parent.secret, model, ip)).toBe(expected);
  });

  it("it follows the parent's current restrictions", async () => {
    await t.client.ok(UPDATE, { input: { id: parent.id, modelScope: [MODEL], ipAllowlist: null } }, account.token);
    expect(await modelCall(t.client, temporary.secret, MODEL, '11.0.0.1')).toBe('ALLOWED');
    expect(await modelCall(t.client, temporary.secret, OTHER_MODEL, '11.0.0.1')).toBe('OUTSIDE_KEY_SCOPE');
  });
});

describe('a temporary key dies with its parent', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
  });

  it('parent disabled → refused at once (UNAUTHENTICATED, modelAccess included)', async () => {
    const parent = await createKey(t.client, owner.token, account.W);
    const temporary = await temporaryKey(parent.secret);
    await t.client.ok(SET_STATUS, { id: parent.id, s: 'DISABLED' }, owner.token);
    expect(await answers(temporary.secret)).toEqual(REFUSED);
    expect(await answers(parent.secret)).toEqual(REFUSED);
  });

  it('parent deleted → refused at once, for good', async () => {
    const parent = await createKey(t.client, owner.token, account.W);
    const temporary = await temporaryKey(parent.secret);
    await deleteKey(t.client, owner.token, parent.id);
    expect(await answers(temporary.secret)).toEqual(REFUSED);
  });

  it("parent's owner removed → INACTIVE like the parent (KEY_INACTIVE on modelAccess, refused elsewhere); back → works", async () => {
    const parent = await createKey(t.client, owner.token, account.W);
    const temporary = await temporaryKey(parent.secret);
    await removeMember(t.client, account.token, account.W, owner.id);
    expect(await answers(temporary.secret)).toEqual(['KEY_INACTIVE', 'UNAUTHENTICATED']);
    await setPages(t.client, account.token, account.W, owner.id, ['API_KEY']);
    expect(await answers(temporary.secret)).toEqual(WORKS);
    await changeStatus(t.client, account.token, 'disableRamUser', owner.id);
    expect(await answers(temporary.secret)).toEqual(['KEY_INACTIVE', 'UNAUTHENTICATED']);
    await changeStatus(t.client, account.token, 'enableRamUser', owner.id);
    expect(await answers(temporary.secret)).toEqual(WORKS);
  });

  it('parent rotated without grace → refused at once; one derived from the new secret works', async () => {
    const parent = await createKey(t.client, owner.token, account.W);
    const temporary = await temporaryKey(parent.secret);
    const rotated = await t.client.ok<{ rotateApiKey: { secret: string } }>(ROTATE, { id: parent.id, g: 0 }, owner.token);
    expect(await answers(temporary.secret)).toEqual(REFUSED);
    const fresh = await temporaryKey(rotated.rotateApiKey.secret);
    expect(await answers(fresh.secret)).toEqual(WORKS);
  });

  it('parent rotated with a 3 s grace → works through the grace period, then refused; so is one derived from the old secret meanwhile', async () => {
    const parent = await createKey(t.client, owner.token, account.W);
    const before = await temporaryKey(parent.secret);
    const rotated = await t.client.ok<{ rotateApiKey: { secret: string; previousSecretExpiresAt: string | null } }>(
      ROTATE,
      // 3 s, not 2: a temporary key's expiry is whole seconds, so one derived with under 2 s of grace left may live only milliseconds.
      { id: parent.id, g: 3 },
      owner.token,
    );
    const graceEnds = Date.parse(defined(rotated.rotateApiKey.previousSecretExpiresAt, 'previousSecretExpiresAt'));
    // Derived from the old secret during its grace period: it cannot outlive that secret.
    const duringGrace = await temporaryKey(parent.secret, 600);
    expect(Date.parse(duringGrace.expiresAt)).toBeLessThanOrEqual(graceEnds + 1_000);
    const fromNew = await temporaryKey(rotated.rotateApiKey.secret, 600);

    for (const secret of [before.secret, duringGrace.secret, fromNew.secret]) expect(await answers(secret)).toEqual(WORKS);

    await sleep(Math.max(0, graceEnds - Date.now()) + 500);
    expect(await answers(before.secret)).toEqual(REFUSED);
    expect(await answers(duringGrace.secret)).toEqual(REFUSED);
    expect(await answers(parent.secret)).toEqual(REFUSED);
    expect(await answers(fromNew.secret)).toEqual(WORKS);
    expect(await answers(rotated.rotateApiKey.secret)).toEqual(WORKS);
  });

  it('a temporary key expires (1 s and 2 s lifetimes), and never outlives an expiring parent', async () => {
    const parent = await createKey(t.client, owner.token, account.W);
    const oneSecond = await temporaryKey(parent.secret, 1);
    const twoSeconds = await temporaryKey(parent.secret, 2);
    // A 2 s key lives at least one more second: it works right now.
    expect(await answers(twoSeconds.secret)).toEqual(WORKS);

    // 3.5 s: the child's lifetime is cut to whole seconds, and it must still live a moment once created.
    const parentExpiresAt = new Date(Date.now() + 3_500).toISOString();
    const expiring = await t.client.ok<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      `mutation($w: ID!, $e: DateTime) { createApiKey(input: { workspaceId: $w, expiresAt: $e }) { secret apiKey { id } } }`,
      { w: account.W, e: parentExpiresAt },
      owner.token,
    );
    const child = await temporaryKey(expiring.createApiKey.secret, 1_800);
    expect(Date.parse(child.expiresAt)).toBeLessThanOrEqual(Date.parse(parentExpiresAt));
    expect(await answers(child.secret)).toEqual(WORKS);

    const last = Math.max(Date.parse(oneSecond.expiresAt), Date.parse(twoSeconds.expiresAt), Date.parse(parentExpiresAt));
    await sleep(Math.max(0, last - Date.now()) + 400);
    expect(await answers(oneSecond.secret)).toEqual(REFUSED);
    expect(await answers(twoSeconds.secret)).toEqual(REFUSED);
    expect(await answers(child.secret)).toEqual(REFUSED);
    expect(await answers(parent.secret)).toEqual(WORKS);

    // Giving the expired parent a later expiry revives the parent, not the dead temporary key.
    await t.client.ok(UPDATE, { input: { id: expiring.createApiKey.apiKey.id, expiresAt: null } }, owner.token);
    expect(await answers(expiring.createApiKey.secret)).toEqual(WORKS);
    expect(await answers(child.secret)).toEqual(REFUSED);
  });
});

describe('forged or garbled temporary keys', () => {
  let account: ModelStudioAccount;
  let parent: CreatedKey;
  let genuine: TemporaryKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    parent = await createKey(t.client, account.token, account.W);
    genuine = await temporaryKey(parent.secret);
  });

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const partsOf = (secret: string) => secret.slice('st-'.length).split('.') as [string, string, string];
  const claimsOf = (secret: string) => decodeJwt(secret.slice('st-'.length));
  /** A temporary key for the parent with `claims`, signed by hand as the gateway signs (right key, issuer and audience). */
  const signedByHand = async (claims: Record<string, unknown>, expiresIn = 600) =>
    `st-${await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('model-studio-gateway')
      .setAudience('model-studio-gateway/temporary-key')
      .setSubject(parent.id)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET))}`;
  const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  it('a temporary key signed by hand as the gateway signs works (so the forgeries below are about the one change each makes)', async () => {
    expect(await answers(await signedByHand({ gen: claimsOf(genuine.secret).gen }))).toEqual(WORKS);
  });

  const FORGERIES: Array<[string, () => Promise<string> | string]> = [
    ['the bare prefix', () => 'st-'],
    ['garbage', () => 'st-this-is-not-a-token'],
    ['three dots of nothing', () => 'st-..'],
    ['a truncated signature', () => genuine.secret.slice(0, -5)],
    [
      'a payload with a later expiry, under the old signature',
      () => {
        const [header, , signature] = partsOf(genuine.secret);
        const claims = claimsOf(genuine.secret);
        return `st-${header}.${b64({ ...claims, exp: (claims.exp ?? 0) + 3_600 })}.${signature}`;
      },
    ],
    [
      'the signature spelled another way (same bytes)',
      () => {
        const [header, payload, signature] = partsOf(genuine.secret);
        // The last of 43 characters carries 4 bits of the 32 bytes and 2 that decoders ignore.
        const altered = `${signature.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(signature.slice(-1)) ^ 0x01]}`;
        if (altered === signature || !Buffer.from(altered, 'base64url').equals(Buffer.from(signature, 'base64url'))) {
          throw new Error(`${altered} is not another spelling of the signature ${signature}`);
        }
        return `st-${header}.${payload}.${altered}`;
      },
    ],
    ['a fourth segment', () => `${genuine.secret}.${partsOf(genuine.secret)[2]}`],
    ['an unsigned token (alg: none)', () => `st-${b64({ alg: 'none', typ: 'JWT' })}.${partsOf(genuine.secret)[1]}.`],
    [
      'a token signed with another secret',
      async () =>
        (
          await new SessionSigner('another-signing-key-that-is-long-enough-0123', 3600).issueTemporaryKey(
            { apiKeyId: parent.id, generation: 1 },
            inTenMinutes(),
          )
        ).secret,
    ],
    ['a console session token behind st-', () => `st-${account.token}`],
    [
      'a correctly signed token naming no key',
      async () =>
        (await new SessionSigner(TEST_JWT_SECRET, 3600).issueTemporaryKey({ apiKeyId: missingId.apiKey(), generation: 1 }, inTenMinutes()))
          .secret,
    ],
    [
      'a correctly signed token naming a secret generation that does not exist yet',
      async () => {
        const generation = Number(claimsOf(genuine.secret).gen);
        return (
          await new SessionSigner(TEST_JWT_SECRET, 3600).issueTemporaryKey(
            { apiKeyId: parent.id, generation: generation + 1 },
            inTenMinutes(),
          )
        ).secret;
      },
    ],
    ['a correctly signed token without the generation', () => signedByHand({})],
    ['a correctly signed token with the generation as a string', () => signedByHand({ gen: String(claimsOf(genuine.secret).gen) })],
    ['a correctly signed token that has expired', () => signedByHand({ gen: claimsOf(genuine.secret).gen }, -60)],
  ];

  it.each(FORGERIES)('%s → UNAUTHENTICATED for everything', async (_name, forge) => {
    const secret = await forge();
    expect(await answers(secret)).toEqual(REFUSED);
    expect(codeOf(await requestTemporary(secret, 60))).toBe('UNAUTHENTICATED');
    // The genuine one still works.
    expect(await answers(genuine.secret)).toEqual(WORKS);
  });
});
