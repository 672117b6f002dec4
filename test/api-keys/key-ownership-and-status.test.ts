import { beforeAll, describe, expect, it } from 'vitest';
import { changeStatus, type TestUser } from '../helpers/fixtures.js';
import { dataOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import {
  accountFingerprint,
  apiKeyIds,
  authorizeModel,
  createKey,
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
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

const MODEL = 'qwen-plus';

const KEY_FIELDS = `id prefix description modelScope ipAllowlist status expiresAt lastUsedAt createdAt owner { id } workspace { id }`;

interface KeyView {
  id: string;
  prefix: string;
  description: string;
  modelScope: string[];
  ipAllowlist: string[];
  status: 'ACTIVE' | 'DISABLED' | 'EXPIRED' | 'INACTIVE';
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  owner: { id: string };
  workspace: { id: string };
}

const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${KEY_FIELDS} } } }`;
const UPDATE = `mutation($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { ${KEY_FIELDS} } }`;
const SET_STATUS = `mutation($id: ID!, $s: ApiKeyStatusSetting!) { setApiKeyStatus(input: { id: $id, status: $s }) { ${KEY_FIELDS} } }`;
const ROTATE = `mutation($id: ID!, $g: Int) { rotateApiKey(input: { id: $id, gracePeriodSeconds: $g }) { secret apiKey { id prefix } } }`;
const VIEWER = `{ viewer { principal { id } credential } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

/** The key as `token` reads it (through `node`). */
async function readKey(token: string, id: string): Promise<KeyView> {
  const data = await t.client.ok<{ node: KeyView | null }>(
    `query($id: ID!) { node(id: $id) { ... on ApiKey { ${KEY_FIELDS} } } }`,
    { id },
    token,
  );
  return defined(data.node, `the API key ${id}`);
}

async function createWith(token: string, input: Record<string, unknown>) {
  return t.client.request<{ createApiKey: { secret: string; apiKey: KeyView } | null }>(CREATE, { input }, { token });
}

async function mustCreate(token: string, input: Record<string, unknown>): Promise<{ secret: string; apiKey: KeyView }> {
  return defined(dataOf(await createWith(token, input)).createApiKey, 'the created API key');
}

/** The error code of a request made with `secret`, or 'OK'. */
async function viewerWith(secret: string): Promise<string> {
  const result = await t.client.request<{ viewer: { principal: { id: string } } }>(VIEWER, {}, { token: secret });
  return result.errors?.[0]?.extensions?.code ?? 'OK';
}

const codeOf = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.code ?? 'OK';

describe('createApiKey: who owns the key', () => {
  let account: ModelStudioAccount;
  let member: TestUser;
  let adminMember: TestUser;
  let keyManager: TestUser;
  let fullAccess: TestUser;
  let controlFullAccess: TestUser;
  let plain: TestUser;
  let tuner: TestUser;
  let disabledMember: TestUser;
  let outsider: TestUser;
  let memberOfDefaultOnly: TestUser;
  let other: ModelStudioAccount;
  let otherMember: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    member = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    adminMember = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['ADMINISTRATOR'] });
    keyManager = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    fullAccess = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
    controlFullAccess = await modelStudioUser(t.client, account, { policies: ['AliyunBailianControlFullAccess'] });
    plain = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: [] });
    tuner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['MODEL_TUNING'] });
    disabledMember = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    await changeStatus(t.client, account.token, 'disableRamUser', disabledMember.id);
    outsider = await modelStudioUser(t.client, account);
    memberOfDefaultOnly = await modelStudioUser(t.client, account, { workspaceId: account.D, pages: ['API_KEY'] });
    other = await modelStudioAccount(t.client);
    otherMember = await modelStudioUser(t.client, other, { workspaceId: other.W, pages: ['API_KEY'] });
  });

  it('without ownerId the caller owns the key', async () => {
    const created = await mustCreate(keyManager.token, { workspaceId: account.W });
    expect(created.apiKey.owner.id).toBe(keyManager.id);
    expect(created.apiKey.status).toBe('ACTIVE');
    expect(created.apiKey.expiresAt).toBeNull();
    expect(created.apiKey.lastUsedAt).toBeNull();
    expect(created.secret).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(created.apiKey.prefix).toBe(created.secret.slice(0, 9));
  });

  it('naming oneself is the same as naming nobody', async () => {
    const created = await mustCreate(keyManager.token, { workspaceId: account.W, ownerId: keyManager.id });
    expect(created.apiKey.owner.id).toBe(keyManager.id);
  });

  const creators: Array<[string, () => TestUser | ModelStudioAccount]> = [
    ['the root', () => account],
    ['an AliyunBailianFullAccess holder (not a member)', () => fullAccess],
    ['an AliyunBailianControlFullAccess holder (not a member)', () => controlFullAccess],
    ['an ADMINISTRATOR member', () => adminMember],
    ['an API_KEY member', () => keyManager],
  ];

  it.each(creators)('%s may create a key owned by an API_KEY member; the key acts for that member', async (_who, creator) => {
    const created = await mustCreate(creator().token, { workspaceId: account.W, ownerId: member.id, description: 'for member' });
    expect(created.apiKey.owner.id).toBe(member.id);
    expect(created.apiKey.workspace.id).toBe(account.W);
    expect(created.apiKey.status).toBe('ACTIVE');
    expect(await modelCall(t.client, created.secret, MODEL)).toBe('ALLOWED');
    const viewer = await t.client.ok<{ viewer: { principal: { id: string }; credential: string } }>(VIEWER, {}, created.secret);
    expect(viewer.viewer).toEqual({ principal: { id: member.id }, credential: 'API_KEY' });
  });

  it('a member holding ADMINISTRATOR (not API_KEY) may be named owner', async () => {
    const created = await mustCreate(keyManager.token, { workspaceId: account.W, ownerId: adminMember.id });
    expect(created.apiKey.owner.id).toBe(adminMember.id);
    expect(created.apiKey.status).toBe('ACTIVE');
  });

  const badOwners: Array<[string, () => string]> = [
    ['a plain member (no pages)', () => plain.id],
    ['a member holding MODEL_TUNING only', () => tuner.id],
    ['a disabled member holding API_KEY', () => disabledMember.id],
    ['a registered user who is no member of the workspace', () => outsider.id],
    ['an API_KEY member of another workspace (D) only', () => memberOfDefaultOnly.id],
    ['an AliyunBailianFullAccess holder who is no member', () => fullAccess.id],
  ];

  it.each(badOwners)('naming %s → BAD_USER_INPUT on input.ownerId, nothing created', async (_who, ownerId) => {
    const before = await apiKeyIds(t.client, account.token, account.W);
    const result = await createWith(keyManager.token, { workspaceId: account.W, ownerId: ownerId() });
    expectError(result, 'BAD_USER_INPUT', 'input.ownerId');
    expect(result.data?.createApiKey ?? null).toBeNull();
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual(before);
  });

  it("naming another account's member looks exactly like naming nobody that exists (NOT_FOUND), nothing created", async () => {
    const before = await apiKeyIds(t.client, account.token, account.W);
    const otherBefore = await accountFingerprint(t.database.db, other.accountId);
    const foreign = await createWith(keyManager.token, { workspaceId: account.W, ownerId: otherMember.id });
    const missing = await createWith(keyManager.token, { workspaceId: account.W, ownerId: missingId.ramUser() });
    expectError(foreign, 'NOT_FOUND');
    expectError(missing, 'NOT_FOUND');
    expect(foreign.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual(before);
    expect(await accountFingerprint(t.database.db, other.accountId)).toEqual(otherBefore);
  });

  it('a plain member naming someone else → FORBIDDEN, nothing created', async () => {
    const before = await apiKeyIds(t.client, account.token, account.W);
    for (const caller of [plain, tuner]) {
      const result = await createWith(caller.token, { workspaceId: account.W, ownerId: member.id });
      expectError(result, 'FORBIDDEN');
      expect(result.data?.createApiKey ?? null).toBeNull();
    }
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual(before);
  });

  it('an API key cannot create a key, for its owner or anyone', async () => {
    const key = await createKey(t.client, keyManager.token, account.W);
    const before = await apiKeyIds(t.client, account.token, account.W);
    expectError(await createWith(key.secret, { workspaceId: account.W }), 'FORBIDDEN');
    expectError(await createWith(key.secret, { workspaceId: account.W, ownerId: member.id }), 'FORBIDDEN');
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual(before);
  });
});

describe('expiry', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
  });

  it.each([
    ['in the past', () => new Date(Date.now() - 60_000).toISOString()],
    ['now-ish (one second ago)', () => new Date(Date.now() - 1_000).toISOString()],
  ])('createApiKey with expiresAt %s → BAD_USER_INPUT on input.expiresAt, nothing created', async (_when, at) => {
    const before = await apiKeyIds(t.client, account.token, account.W);
    const result = await createWith(owner.token, { workspaceId: account.W, expiresAt: at() });
    expectError(result, 'BAD_USER_INPUT', 'input.expiresAt');
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual(before);
  });

  it('a key works until expiresAt, is EXPIRED and refused after it, and a later expiresAt (or none) revives it', async () => {
    const expiresAt = inSeconds(2);
    const created = await mustCreate(owner.token, { workspaceId: account.W, expiresAt });
    expect(created.apiKey.expiresAt).toBe(expiresAt);
    expect(created.apiKey.status).toBe('ACTIVE');
    expect(await modelCall(t.client, created.secret, MODEL)).toBe('ALLOWED');

    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 300);
    expect((await readKey(account.token, created.apiKey.id)).status).toBe('EXPIRED');
    expect(await modelCall(t.client, created.secret, MODEL)).toBe('UNAUTHENTICATED');
    expect(await viewerWith(created.secret)).toBe('UNAUTHENTICATED');

    // A past expiry is refused by updateApiKey too, and changes nothing.
    const past = await t.client.request(
      UPDATE,
      { input: { id: created.apiKey.id, expiresAt: new Date(Date.now() - 1000).toISOString() } },
      {
        token: owner.token,
      },
    );
    expectError(past, 'BAD_USER_INPUT', 'input.expiresAt');
    expect((await readKey(account.token, created.apiKey.id)).expiresAt).toBe(expiresAt);

    const later = inSeconds(3600);
    const extended = await t.client.ok<{ updateApiKey: KeyView }>(
      UPDATE,
      { input: { id: created.apiKey.id, expiresAt: later } },
      owner.token,
    );
    expect(extended.updateApiKey.expiresAt).toBe(later);
    expect(extended.updateApiKey.status).toBe('ACTIVE');
    expect(await modelCall(t.client, created.secret, MODEL)).toBe('ALLOWED');

    const cleared = await t.client.ok<{ updateApiKey: KeyView }>(
      UPDATE,
      { input: { id: created.apiKey.id, expiresAt: null } },
      owner.token,
    );
    expect(cleared.updateApiKey.expiresAt).toBeNull();
    expect(cleared.updateApiKey.status).toBe('ACTIVE');
    expect(await modelCall(t.client, created.secret, MODEL)).toBe('ALLOWED');
  });
});

describe('updateApiKey: absent is unchanged, null clears', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;
  let keyId: string;
  let secret: string;
  const expiresAt = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, 'qwen-max');
    await authorizeModel(t.client, account.token, account.W, MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    const created = await mustCreate(owner.token, {
      workspaceId: account.W,
      description: 'original',
      modelScope: ['qwen-max'],
      ipAllowlist: ['10.0.0.0/8'],
      expiresAt,
    });
    keyId = created.apiKey.id;
    secret = created.secret;
  });

  const update = async (input: Record<string, unknown>) =>
    (await t.client.ok<{ updateApiKey: KeyView }>(UPDATE, { input: { id: keyId, ...input } }, owner.token)).updateApiKey;

  it('changing only the description leaves everything else as it was', async () => {
    const before = await readKey(account.token, keyId);
    const after = await update({ description: 'renamed' });
    expect(after).toEqual({ ...before, description: 'renamed' });
  });

  it('changing the scope and allowlist leaves the description and expiry; the new scope applies at once', async () => {
    // The old allowlist (10.0.0.0/8) refuses the test's own address, 127.0.0.1.
    expect(await modelCall(t.client, secret, 'qwen-max')).toBe('SOURCE_IP_NOT_ALLOWED');
    const after = await update({ modelScope: [MODEL], ipAllowlist: ['192.168.0.0/16', '127.0.0.0/8'] });
    expect(after.description).toBe('renamed');
    expect(after.expiresAt).toBe(expiresAt);
    expect(after.modelScope).toEqual([MODEL]);
    expect([...after.ipAllowlist].sort((a, b) => a.localeCompare(b))).toEqual(['127.0.0.0/8', '192.168.0.0/16']);
    expect(await modelCall(t.client, secret, 'qwen-max')).toBe('OUTSIDE_KEY_SCOPE');
    expect(await modelCall(t.client, secret, MODEL)).toBe('ALLOWED');
  });

  it('null clears each field: empty description, no scope, no allowlist, no expiry', async () => {
    const after = await update({ description: null, modelScope: null, ipAllowlist: null, expiresAt: null });
    expect(after).toMatchObject({ description: '', modelScope: [], ipAllowlist: [], expiresAt: null, status: 'ACTIVE' });
    expect(await modelCall(t.client, secret, 'qwen-max')).toBe('ALLOWED');
  });

  it('no field at all → BAD_USER_INPUT, nothing changed', async () => {
    const before = await readKey(account.token, keyId);
    const result = await t.client.request(UPDATE, { input: { id: keyId } }, { token: owner.token });
    expectError(result, 'BAD_USER_INPUT');
    expect({ ...(await readKey(account.token, keyId)), lastUsedAt: null }).toEqual({ ...before, lastUsedAt: null });
  });

  it('an invalid field → BAD_USER_INPUT naming it, and the valid ones beside it are not applied', async () => {
    const before = await readKey(account.token, keyId);
    const result = await t.client.request(
      UPDATE,
      { input: { id: keyId, description: 'half', ipAllowlist: ['10.0.0.0/33'] } },
      { token: owner.token },
    );
    expectError(result, 'BAD_USER_INPUT', 'input.ipAllowlist[0]');
    expect({ ...(await readKey(account.token, keyId)), lastUsedAt: null }).toEqual({ ...before, lastUsedAt: null });
  });
});

describe('setApiKeyStatus and the status values', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;
  let key: CreatedKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    key = await createKey(t.client, owner.token, account.W);
  });

  const setStatus = async (token: string, status: 'ENABLED' | 'DISABLED') =>
    (await t.client.ok<{ setApiKeyStatus: KeyView }>(SET_STATUS, { id: key.id, s: status }, token)).setApiKeyStatus;

  it('DISABLED: the key is refused for everything, modelAccess included (UNAUTHENTICATED, not KEY_INACTIVE)', async () => {
    expect((await setStatus(owner.token, 'DISABLED')).status).toBe('DISABLED');
    expect((await readKey(account.token, key.id)).status).toBe('DISABLED');
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('UNAUTHENTICATED');
    expect(await viewerWith(key.secret)).toBe('UNAUTHENTICATED');
    const temporary = await t.client.request(
      `mutation { createTemporaryApiKey(input: { expiresInSeconds: 60 }) { secret } }`,
      {},
      { token: key.secret },
    );
    expect(codeOf(temporary)).toBe('UNAUTHENTICATED');
  });

  it('disabling twice is harmless; ENABLED makes it ACTIVE and working again', async () => {
    expect((await setStatus(owner.token, 'DISABLED')).status).toBe('DISABLED');
    expect((await setStatus(owner.token, 'ENABLED')).status).toBe('ACTIVE');
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');
    expect(await viewerWith(key.secret)).toBe('OK');
  });

  it('the root and a key manager may disable and enable a member-owned key', async () => {
    const manager = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['ADMINISTRATOR'] });
    for (const token of [account.token, manager.token]) {
      expect((await setStatus(token, 'DISABLED')).status).toBe('DISABLED');
      expect(await modelCall(t.client, key.secret, MODEL)).toBe('UNAUTHENTICATED');
      expect((await setStatus(token, 'ENABLED')).status).toBe('ACTIVE');
      expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');
    }
  });

  it('the owner keeps managing its own key after losing its pages (ownership, not the page, allows it)', async () => {
    await setPages(t.client, account.token, account.W, owner.id, []);
    expect((await setStatus(owner.token, 'DISABLED')).status).toBe('DISABLED');
    expect((await setStatus(owner.token, 'ENABLED')).status).toBe('ACTIVE');
    // Page permissions never restrict keys: the key still works.
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');
    await setPages(t.client, account.token, account.W, owner.id, ['API_KEY']);
  });

  it('an API key cannot disable itself (management is not reachable with a key)', async () => {
    const result = await t.client.request(SET_STATUS, { id: key.id, s: 'DISABLED' }, { token: key.secret });
    expectError(result, 'FORBIDDEN');
    expect((await readKey(account.token, key.id)).status).toBe('ACTIVE');
  });

  it('a disabled key stays DISABLED (and UNAUTHENTICATED) whatever happens to its owner', async () => {
    await setStatus(owner.token, 'DISABLED');
    await removeMember(t.client, account.token, account.W, owner.id);
    expect((await readKey(account.token, key.id)).status).toBe('DISABLED');
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('UNAUTHENTICATED');
    await setPages(t.client, account.token, account.W, owner.id, ['API_KEY']);
    await setStatus(account.token, 'ENABLED');
    expect((await readKey(account.token, key.id)).status).toBe('ACTIVE');
  });

  it('a disabled key that has also expired reads DISABLED', async () => {
    const created = await mustCreate(owner.token, { workspaceId: account.W, expiresAt: inSeconds(0.6) });
    await t.client.ok(SET_STATUS, { id: created.apiKey.id, s: 'DISABLED' }, owner.token);
    await sleep(Math.max(0, Date.parse(defined(created.apiKey.expiresAt, 'expiresAt')) - Date.now()) + 200);
    expect((await readKey(account.token, created.apiKey.id)).status).toBe('DISABLED');
    const enabled = await t.client.ok<{ setApiKeyStatus: KeyView }>(SET_STATUS, { id: created.apiKey.id, s: 'ENABLED' }, owner.token);
    expect(enabled.setApiKeyStatus.status).toBe('EXPIRED');
    expect(await modelCall(t.client, created.secret, MODEL)).toBe('UNAUTHENTICATED');
  });
});

describe('INACTIVE: the owner loses standing, and is reinstated', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;
  let key: CreatedKey;
  let rootKey: CreatedKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    key = await createKey(t.client, owner.token, account.W);
    rootKey = await createKey(t.client, account.token, account.W);
  });

  const expectState = async (status: string, modelAnswer: string, otherRequests: string) => {
    expect((await readKey(account.token, key.id)).status).toBe(status);
    expect(await modelCall(t.client, key.secret, MODEL)).toBe(modelAnswer);
    expect(await viewerWith(key.secret)).toBe(otherRequests);
    expect(await modelCall(t.client, rootKey.secret, MODEL)).toBe('ALLOWED');
  };

  it('owner disabled → INACTIVE (modelAccess answers KEY_INACTIVE, anything else UNAUTHENTICATED); enabled → ACTIVE', async () => {
    await expectState('ACTIVE', 'ALLOWED', 'OK');
    await changeStatus(t.client, account.token, 'disableRamUser', owner.id);
    await expectState('INACTIVE', 'KEY_INACTIVE', 'UNAUTHENTICATED');
    await changeStatus(t.client, account.token, 'enableRamUser', owner.id);
    await expectState('ACTIVE', 'ALLOWED', 'OK');
  });

  it('owner removed from the workspace → INACTIVE; added back (even with no pages) → ACTIVE', async () => {
    await removeMember(t.client, account.token, account.W, owner.id);
    await expectState('INACTIVE', 'KEY_INACTIVE', 'UNAUTHENTICATED');
    await setPages(t.client, account.token, account.W, owner.id, []);
    await expectState('ACTIVE', 'ALLOWED', 'OK');
  });

  it('enabling an INACTIVE key does not make it ACTIVE: the owner must be reinstated', async () => {
    await changeStatus(t.client, account.token, 'disableRamUser', owner.id);
    const enabled = await t.client.ok<{ setApiKeyStatus: KeyView }>(SET_STATUS, { id: key.id, s: 'ENABLED' }, account.token);
    expect(enabled.setApiKeyStatus.status).toBe('INACTIVE');
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('KEY_INACTIVE');
    await changeStatus(t.client, account.token, 'enableRamUser', owner.id);
    await expectState('ACTIVE', 'ALLOWED', 'OK');
  });

  it('owner deleted → the key is refused for good and gone from the workspace', async () => {
    await changeStatus(t.client, account.token, 'deleteRamUser', owner.id);
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('UNAUTHENTICATED');
    expect(await viewerWith(key.secret)).toBe('UNAUTHENTICATED');
    // The owner's deletion takes its keys with it: they are gone, not merely INACTIVE.
    const gone = await t.client.request(
      `query($id: ID!) { node(id: $id) { ... on ApiKey { id status } } }`,
      { id: key.id },
      { token: account.token },
    );
    expectError(gone, 'NOT_FOUND');
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual([rootKey.id]);
    expect(await modelCall(t.client, rootKey.secret, MODEL)).toBe('ALLOWED');
  });
});

describe('lastUsedAt', () => {
  let account: ModelStudioAccount;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
  });

  /** Polls until the key's lastUsedAt is set (it is stamped off the request path), at most ~3 s. */
  async function awaitLastUsed(id: string): Promise<string | null> {
    for (let attempt = 0; attempt < 30; attempt++) {
      const { lastUsedAt } = await readKey(account.token, id);
      if (lastUsedAt !== null) return lastUsedAt;
      await sleep(100);
    }
    return null;
  }

  it('is null until the key is used, then the time of that use', async () => {
    const key = await createKey(t.client, account.token, account.W);
    expect((await readKey(account.token, key.id)).lastUsedAt).toBeNull();
    const before = Date.now();
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');
    const lastUsedAt = defined(await awaitLastUsed(key.id), 'lastUsedAt after a use');
    expect(Date.parse(lastUsedAt)).toBeGreaterThanOrEqual(before - 2_000);
    expect(Date.parse(lastUsedAt)).toBeLessThanOrEqual(Date.now() + 2_000);
  });

  it('any authenticated request stamps it, not only modelAccess', async () => {
    const key = await createKey(t.client, account.token, account.W);
    expect(await viewerWith(key.secret)).toBe('OK');
    expect(await awaitLastUsed(key.id)).not.toBeNull();
  });

  it('a refused (disabled) key is not stamped', async () => {
    const key = await createKey(t.client, account.token, account.W);
    await t.client.ok(SET_STATUS, { id: key.id, s: 'DISABLED' }, account.token);
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('UNAUTHENTICATED');
    expect(await viewerWith(key.secret)).toBe('UNAUTHENTICATED');
    await sleep(300);
    expect((await readKey(account.token, key.id)).lastUsedAt).toBeNull();
  });
});

describe("another account's keys and denied mutations change nothing", () => {
  let account: ModelStudioAccount;
  let other: ModelStudioAccount;
  let owner: TestUser;
  let plain: TestUser;
  let otherKey: CreatedKey;
  let memberKey: CreatedKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    other = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    await authorizeModel(t.client, other.token, other.W, MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    plain = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: [] });
    otherKey = await createKey(t.client, other.token, other.W, { description: 'theirs' });
    memberKey = await createKey(t.client, owner.token, account.W, { description: 'mine', modelScope: [MODEL] });
  });

  const mutations: Array<[string, string, (id: string) => Record<string, unknown>]> = [
    ['updateApiKey', UPDATE, (id) => ({ input: { id, description: 'hijacked', modelScope: null, expiresAt: inSeconds(60) } })],
    ['setApiKeyStatus', SET_STATUS, (id) => ({ id, s: 'DISABLED' })],
    ['rotateApiKey', ROTATE, (id) => ({ id, g: 0 })],
    ['rotateApiKey with a grace period', ROTATE, (id) => ({ id, g: 3600 })],
    ['deleteApiKey', `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, (id) => ({ id })],
  ];

  it.each(mutations)("%s on another account's key → NOT_FOUND (as for a missing ID), nothing changed", async (_name, query, variables) => {
    const before = await accountFingerprint(t.database.db, other.accountId);
    const keyBefore = await readKey(other.token, otherKey.id);
    const foreign = await t.client.request(query, variables(otherKey.id), { token: account.token });
    const missing = await t.client.request(query, variables(missingId.apiKey()), { token: account.token });
    expectError(foreign, 'NOT_FOUND');
    expectError(missing, 'NOT_FOUND');
    expect(foreign.errors?.[0]?.message).toBe(missing.errors?.[0]?.message);
    expect(await accountFingerprint(t.database.db, other.accountId)).toEqual(before);
    expect({ ...(await readKey(other.token, otherKey.id)), lastUsedAt: null }).toEqual({ ...keyBefore, lastUsedAt: null });
    expect(await modelCall(t.client, otherKey.secret, MODEL)).toBe('ALLOWED');
  });

  it.each(mutations)("%s on someone else's key by a plain member → FORBIDDEN, the key unchanged", async (_name, query, variables) => {
    const before = await readKey(account.token, memberKey.id);
    const fingerprint = await accountFingerprint(t.database.db, account.accountId);
    const result = await t.client.request(query, variables(memberKey.id), { token: plain.token });
    expectError(result, 'FORBIDDEN');
    expect({ ...(await readKey(account.token, memberKey.id)), lastUsedAt: null }).toEqual({ ...before, lastUsedAt: null });
    expect(await accountFingerprint(t.database.db, account.accountId)).toEqual(fingerprint);
    expect(await modelCall(t.client, memberKey.secret, MODEL)).toBe('ALLOWED');
  });

  it("a key manager of another workspace (not a member of W) may not touch W's keys", async () => {
    const elsewhere = await modelStudioUser(t.client, account, { workspaceId: account.D, pages: ['API_KEY', 'ADMINISTRATOR'] });
    const before = await readKey(account.token, memberKey.id);
    for (const [, query, variables] of mutations) {
      expectError(await t.client.request(query, variables(memberKey.id), { token: elsewhere.token }), 'FORBIDDEN');
    }
    expect({ ...(await readKey(account.token, memberKey.id)), lastUsedAt: null }).toEqual({ ...before, lastUsedAt: null });
    expect(await modelCall(t.client, memberKey.secret, MODEL)).toBe('ALLOWED');
  });
});
