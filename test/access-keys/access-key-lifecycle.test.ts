import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { attachPolicy, changeStatus, createRole, createUser, signUp, type TestAccount, type TestUser } from '../helpers/fixtures.js';
import { dataOf, outcomeOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import { accountFingerprint, auditEvents, expectError, tableDigest } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

/**
 * AccessKey pairs (docs: /work/shared/spec/api.md "Credentials for programs"): created for a RAM
 * user by the root, an AliyunRAMFullAccess holder or the user itself; at most 2; listed without
 * their secrets; refused from the very next request once inactive, deleted, or their user is
 * disabled or deleted.
 */
const t = gatewayForThisFile();

interface AccessKeyView {
  id: string;
  status: 'ACTIVE' | 'INACTIVE';
  createdAt: string;
  lastUsedAt: string | null;
  user: { id: string };
}

interface Pair {
  id: string;
  secret: string;
  /** What goes after `Bearer `: `<AccessKeyId>:<AccessKeySecret>`. */
  token: string;
  accessKey: AccessKeyView;
}

const ACCESS_KEY_FIELDS = 'id status createdAt lastUsedAt user { id }';
const CREATE = `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { ${ACCESS_KEY_FIELDS} } } }`;
const SET_STATUS = `mutation($id: ID!, $s: AccessKeyStatus!) { setAccessKeyStatus(input: { id: $id, status: $s }) { ${ACCESS_KEY_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`;
const KEYS_OF = `query($id: ID!) { node(id: $id) { ... on RamUser { id accessKeys { ${ACCESS_KEY_FIELDS} } } } }`;
const VIEWER = `{ viewer { credential principal { id kind } assumedBy { id } } }`;

type CreateData = { createAccessKey: { secret: string; accessKey: AccessKeyView } };
type ViewerData = { viewer: { credential: string; principal: { id: string; kind: string }; assumedBy: { id: string } | null } };

const createPairRequest = (token: string, principalId: string) => t.client.request<CreateData>(CREATE, { p: principalId }, { token });

async function createPair(token: string, principalId: string): Promise<Pair> {
  const created = (await t.client.ok<CreateData>(CREATE, { p: principalId }, token)).createAccessKey;
  return {
    id: created.accessKey.id,
    secret: created.secret,
    token: `${created.accessKey.id}:${created.secret}`,
    accessKey: created.accessKey,
  };
}

const setStatus = (token: string, id: string, status: 'ACTIVE' | 'INACTIVE') =>
  t.client.request<{ setAccessKeyStatus: AccessKeyView }>(SET_STATUS, { id, s: status }, { token });

const deletePair = (token: string, id: string) => t.client.request<{ deleteAccessKey: { id: string } }>(DELETE, { id }, { token });

/** The user's pairs as `token` sees them. */
async function pairsOf(token: string, userId: string): Promise<AccessKeyView[]> {
  const data = await t.client.ok<{ node: { id: string; accessKeys: AccessKeyView[] } | null }>(KEYS_OF, { id: userId }, token);
  return defined(defined(data.node, `the RAM user ${userId}`).accessKeys, `the access keys of ${userId}`);
}

/** Who the pair acts as on the next request: the principal's ID, or the error code. */
async function actsAs(pairToken: string): Promise<string> {
  const result = await t.client.request<ViewerData>(VIEWER, {}, { token: pairToken });
  if (result.errors?.length) return outcomeOf(result);
  const viewer = dataOf(result).viewer;
  expect(viewer.credential).toBe('ACCESS_KEY');
  expect(viewer.assumedBy).toBeNull();
  return viewer.principal.id;
}

const accessKeyDigest = (accountId: string) => tableDigest(t.database.db, 'access_key', sql`account_id = ${accountId}`);

let account: TestAccount;

beforeAll(async () => {
  account = await signUp(t.client);
});

describe('creating and using a pair', () => {
  let user: TestUser;
  let pair: Pair;

  beforeAll(async () => {
    user = await createUser(t.client, account.token);
  });

  it('the root creates a pair for a RAM user: the AccessKeyId, the secret (once), ACTIVE, never used', async () => {
    const before = Date.now();
    pair = await createPair(account.token, user.id);
    expect(pair.id).toMatch(/^LTAI[a-z0-9]{20}$/);
    expect(pair.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pair.accessKey).toMatchObject({ id: pair.id, status: 'ACTIVE', lastUsedAt: null, user: { id: user.id } });
    const createdAt = Date.parse(pair.accessKey.createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before - 5_000);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('the pair authenticates as the RAM user, with credential ACCESS_KEY', async () => {
    const result = await t.client.request<ViewerData>(VIEWER, {}, { token: pair.token });
    expect(result.errors).toBeUndefined();
    expect(dataOf(result).viewer).toEqual({ credential: 'ACCESS_KEY', principal: { id: user.id, kind: 'RAM_USER' }, assumedBy: null });
  });

  it('RamUser.accessKeys lists it (by node and through the account), and AccessKey has no field that could hold the secret', async () => {
    const listed = await pairsOf(account.token, user.id);
    expect(listed.map((k) => k.id)).toEqual([pair.id]);
    expect(listed[0]).toMatchObject({ status: 'ACTIVE', createdAt: pair.accessKey.createdAt, user: { id: user.id } });

    const page = await t.client.ok<{
      account: { ramUsers: { edges: Array<{ node: { id: string; accessKeys: Array<{ id: string }> | null } }> } };
    }>(`{ account { ramUsers(first: 100) { edges { node { id accessKeys { id } } } } } }`, {}, account.token);
    const node = defined(
      page.account.ramUsers.edges.find((e) => e.node.id === user.id),
      'the user in account.ramUsers',
    ).node;
    expect(node.accessKeys?.map((k) => k.id)).toEqual([pair.id]);

    const type = await t.client.ok<{ __type: { fields: Array<{ name: string }> } | null }>(
      `{ __type(name: "AccessKey") { fields { name } } }`,
      {},
      account.token,
    );
    const fields = defined(type.__type, 'the AccessKey type').fields.map((f) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['id', 'status', 'user', 'createdAt', 'lastUsedAt']));
    expect(fields.filter((f) => /secret|hash/i.test(f))).toEqual([]);
    // Asking for one anyway is a validation error, not a leak.
    const asked = await t.client.request(
      `query($id: ID!) { node(id: $id) { ... on AccessKey { secret } } }`,
      { id: pair.id },
      { token: account.token },
    );
    expect(asked.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(asked)).not.toContain(pair.secret);
  });

  it('lastUsedAt is stamped after the pair is used (off the request path: polled)', async () => {
    expect(await actsAs(pair.token)).toBe(user.id);
    let lastUsedAt: string | null = null;
    for (const deadline = Date.now() + 3_000; lastUsedAt === null && Date.now() < deadline; ) {
      lastUsedAt = defined((await pairsOf(account.token, user.id))[0], 'the pair').lastUsedAt;
      if (lastUsedAt === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stamped = Date.parse(defined(lastUsedAt, 'lastUsedAt after use'));
    expect(stamped).toBeGreaterThanOrEqual(Date.parse(pair.accessKey.createdAt) - 60_000);
    expect(stamped).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('a second pair is allowed; a third is CONFLICT and nothing is created', async () => {
    const second = await createPair(account.token, user.id);
    expect(await actsAs(second.token)).toBe(user.id);
    const before = await accessKeyDigest(account.accountId);
    const third = await createPairRequest(account.token, user.id);
    expectError(third, 'CONFLICT');
    expect(third.data?.createAccessKey ?? null).toBeNull();
    expect(await accessKeyDigest(account.accountId)).toBe(before);
    expect((await pairsOf(account.token, user.id)).map((k) => k.id)).toEqual([pair.id, second.id]);
    // Deleting one makes room again.
    expect(outcomeOf(await deletePair(account.token, second.id))).toBe('OK');
    const replacement = await createPair(account.token, user.id);
    expect((await pairsOf(account.token, user.id)).map((k) => k.id)).toEqual([pair.id, replacement.id]);
  });
});

describe('who may create, list and manage pairs', () => {
  it('a RAM user creates its own pair with its session, and sees and manages its own pairs', async () => {
    const user = await createUser(t.client, account.token);
    const own = await createPair(user.token, user.id);
    expect(own.accessKey.user.id).toBe(user.id);
    expect(await actsAs(own.token)).toBe(user.id);
    expect((await pairsOf(user.token, user.id)).map((k) => k.id)).toEqual([own.id]);
    expect(dataOf(await setStatus(user.token, own.id, 'INACTIVE')).setAccessKeyStatus.status).toBe('INACTIVE');
    expect(await actsAs(own.token)).toBe('UNAUTHENTICATED');
    expect(dataOf(await setStatus(user.token, own.id, 'ACTIVE')).setAccessKeyStatus.status).toBe('ACTIVE');
    expect(await actsAs(own.token)).toBe(user.id);
  });

  it.each([
    ['no policy', []],
    ['AliyunBailianFullAccess', ['AliyunBailianFullAccess']],
    ['AliyunBailianControlFullAccess', ['AliyunBailianControlFullAccess']],
  ])(
    'a RAM user with %s cannot create, list, deactivate or delete pairs of another user: FORBIDDEN, nothing changed',
    async (_label, policies) => {
      const actor = await createUser(t.client, account.token);
      for (const policy of policies) await attachPolicy(t.client, account.token, actor.id, policy);
      const target = await createUser(t.client, account.token);
      const targetPair = await createPair(account.token, target.id);
      const before = await accountFingerprint(t.database.db, account.accountId);

      expectError(await createPairRequest(actor.token, target.id), 'FORBIDDEN');
      expectError(await setStatus(actor.token, targetPair.id, 'INACTIVE'), 'FORBIDDEN');
      expectError(await deletePair(actor.token, targetPair.id), 'FORBIDDEN');
      const listing = await t.client.request<{ node: { accessKeys: unknown } | null }>(KEYS_OF, { id: target.id }, { token: actor.token });
      expect(listing.data?.node?.accessKeys ?? null).toBeNull();
      expect(outcomeOf(listing)).toBe('FORBIDDEN');

      expect(await accountFingerprint(t.database.db, account.accountId)).toEqual(before);
      expect(await actsAs(targetPair.token)).toBe(target.id);
      // A pair acts with its user's policies and no more: the actor's own pair is refused likewise.
      const actorPair = await createPair(actor.token, actor.id);
      expectError(await createPairRequest(actorPair.token, target.id), 'FORBIDDEN');
      expect((await pairsOf(account.token, target.id)).map((k) => k.id)).toEqual([targetPair.id]);
    },
  );

  it('an AliyunRAMFullAccess holder creates, lists, deactivates, reactivates and deletes pairs of another user', async () => {
    const admin = await createUser(t.client, account.token);
    await attachPolicy(t.client, account.token, admin.id, 'AliyunRAMFullAccess');
    const target = await createUser(t.client, account.token);
    const made = await createPair(admin.token, target.id);
    expect(made.accessKey.user.id).toBe(target.id);
    expect(await actsAs(made.token)).toBe(target.id);
    expect((await pairsOf(admin.token, target.id)).map((k) => k.id)).toEqual([made.id]);
    expect(dataOf(await setStatus(admin.token, made.id, 'INACTIVE')).setAccessKeyStatus.status).toBe('INACTIVE');
    expect(await actsAs(made.token)).toBe('UNAUTHENTICATED');
    expect(dataOf(await setStatus(admin.token, made.id, 'ACTIVE')).setAccessKeyStatus.status).toBe('ACTIVE');
    expect(await actsAs(made.token)).toBe(target.id);
    expect(dataOf(await deletePair(admin.token, made.id)).deleteAccessKey.id).toBe(made.id);
    expect(await actsAs(made.token)).toBe('UNAUTHENTICATED');
  });

  it('never for the root (nor a role): BAD_USER_INPUT, nothing created', async () => {
    const role = await createRole(t.client, account.token);
    const before = await accessKeyDigest(account.accountId);
    const forRoot = await createPairRequest(account.token, account.rootId);
    expectError(forRoot, 'BAD_USER_INPUT');
    expect(forRoot.data?.createAccessKey ?? null).toBeNull();
    expectError(await createPairRequest(account.token, role.id), 'BAD_USER_INPUT');
    expect(await accessKeyDigest(account.accountId)).toBe(before);
  });
});

describe('a pair stops working on the very next request', () => {
  let user: TestUser;
  let pair: Pair;

  beforeAll(async () => {
    user = await createUser(t.client, account.token);
    pair = await createPair(account.token, user.id);
  });

  it('INACTIVE: UNAUTHENTICATED; ACTIVE again: works', async () => {
    expect(await actsAs(pair.token)).toBe(user.id);
    const deactivated = dataOf(await setStatus(account.token, pair.id, 'INACTIVE')).setAccessKeyStatus;
    expect(deactivated).toMatchObject({ id: pair.id, status: 'INACTIVE' });
    expect(await actsAs(pair.token)).toBe('UNAUTHENTICATED');
    expect(defined((await pairsOf(account.token, user.id))[0], 'the pair').status).toBe('INACTIVE');
    // An inactive pair cannot be used for a mutation either.
    expectError(await setStatus(pair.token, pair.id, 'ACTIVE'), 'UNAUTHENTICATED');
    expect(dataOf(await setStatus(account.token, pair.id, 'ACTIVE')).setAccessKeyStatus.status).toBe('ACTIVE');
    expect(await actsAs(pair.token)).toBe(user.id);
  });

  it('its user disabled: UNAUTHENTICATED; enabled again: works', async () => {
    await changeStatus(t.client, account.token, 'disableRamUser', user.id);
    expect(await actsAs(pair.token)).toBe('UNAUTHENTICATED');
    await changeStatus(t.client, account.token, 'enableRamUser', user.id);
    expect(await actsAs(pair.token)).toBe(user.id);
  });

  it('a wrong secret for a real AccessKeyId, or an unknown AccessKeyId, is UNAUTHENTICATED', async () => {
    const wrongSecret = `${pair.id}:${pair.secret.slice(0, -1)}${pair.secret.endsWith('A') ? 'B' : 'A'}`;
    expect(await actsAs(wrongSecret)).toBe('UNAUTHENTICATED');
    expect(await actsAs(`${pair.id}:${'x'.repeat(32)}`)).toBe('UNAUTHENTICATED');
    expect(await actsAs(`${pair.id}:`)).toBe('UNAUTHENTICATED');
    expect(await actsAs(`LTAI${'0'.repeat(20)}:${pair.secret}`)).toBe('UNAUTHENTICATED');
    // The real one still works.
    expect(await actsAs(pair.token)).toBe(user.id);
  });

  it('deleted: UNAUTHENTICATED for good, and no longer listed', async () => {
    const other = await createPair(account.token, user.id);
    expect(dataOf(await deletePair(account.token, other.id)).deleteAccessKey.id).toBe(other.id);
    expect(await actsAs(other.token)).toBe('UNAUTHENTICATED');
    expect((await pairsOf(account.token, user.id)).map((k) => k.id)).toEqual([pair.id]);
    expectError(await deletePair(account.token, other.id), 'NOT_FOUND');
    expectError(await setStatus(account.token, other.id, 'ACTIVE'), 'NOT_FOUND');
    expect(await actsAs(other.token)).toBe('UNAUTHENTICATED');
  });

  it('its user deleted: UNAUTHENTICATED', async () => {
    expect(await actsAs(pair.token)).toBe(user.id);
    await changeStatus(t.client, account.token, 'deleteRamUser', user.id);
    expect(await actsAs(pair.token)).toBe('UNAUTHENTICATED');
  });
});

describe('another account', () => {
  let other: TestAccount;
  let otherUser: TestUser;
  let otherPair: Pair;

  beforeAll(async () => {
    other = await signUp(t.client);
    otherUser = await createUser(t.client, other.token);
    otherPair = await createPair(other.token, otherUser.id);
  });

  it('its AccessKeyIds are NOT_FOUND to setAccessKeyStatus and deleteAccessKey, and its pair is unchanged', async () => {
    const before = await accountFingerprint(t.database.db, other.accountId);
    const results: Array<GraphQLResponse<unknown>> = [
      await setStatus(account.token, otherPair.id, 'INACTIVE'),
      await setStatus(account.token, otherPair.id, 'ACTIVE'),
      await deletePair(account.token, otherPair.id),
    ];
    for (const result of results) expectError(result, 'NOT_FOUND');
    expect(await accountFingerprint(t.database.db, other.accountId)).toEqual(before);
    expect(await actsAs(otherPair.token)).toBe(otherUser.id);
    expect(await pairsOf(other.token, otherUser.id)).toEqual([expect.objectContaining({ id: otherPair.id, status: 'ACTIVE' })]);
  });

  it('its users are NOT_FOUND to createAccessKey', async () => {
    const before = await accessKeyDigest(other.accountId);
    expectError(await createPairRequest(account.token, otherUser.id), 'NOT_FOUND');
    expect(await accessKeyDigest(other.accountId)).toBe(before);
  });
});

describe('audit', () => {
  it('createAccessKey, deactivateAccessKey, activateAccessKey and deleteAccessKey are recorded with the pair and the actor', async () => {
    const user = await createUser(t.client, account.token);
    const pair = await createPair(account.token, user.id);
    expect(outcomeOf(await setStatus(account.token, pair.id, 'INACTIVE'))).toBe('OK');
    expect(outcomeOf(await setStatus(account.token, pair.id, 'ACTIVE'))).toBe('OK');
    expect(outcomeOf(await deletePair(account.token, pair.id))).toBe('OK');

    const events = await auditEvents(t.client, account.token, { resourceId: pair.id });
    const actions = events.map((e) => e.action);
    // Newest first.
    expect(actions).toEqual(['deleteAccessKey', 'activateAccessKey', 'deactivateAccessKey', 'createAccessKey']);
    for (const event of events) {
      expect(event).toMatchObject({ actorId: account.rootId, resourceId: pair.id, outcome: 'SUCCESS', via: 'SESSION' });
    }
    for (const action of ['createAccessKey', 'deactivateAccessKey', 'activateAccessKey', 'deleteAccessKey']) {
      const [newest] = await auditEvents(t.client, account.token, { action }, 1);
      expect(newest, action).toMatchObject({ action, resourceId: pair.id });
    }
  });
});
