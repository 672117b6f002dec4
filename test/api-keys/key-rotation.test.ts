import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import {
  accountFingerprint,
  auditEvents,
  authorizeModel,
  createKey,
  expectError,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  setPages,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

const MODEL = 'qwen-plus';
const OTHER_MODEL = 'qwen-max';

const KEY_FIELDS = `id prefix description modelScope ipAllowlist status expiresAt createdAt owner { id } workspace { id }`;

interface KeyView {
  id: string;
  prefix: string;
  description: string;
  modelScope: string[];
  ipAllowlist: string[];
  status: string;
  expiresAt: string | null;
  createdAt: string;
  owner: { id: string };
  workspace: { id: string };
}

interface Rotated {
  apiKey: KeyView;
  secret: string;
  previousSecretExpiresAt: string | null;
}

const ROTATE = `mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) { secret previousSecretExpiresAt apiKey { ${KEY_FIELDS} } } }`;
const SET_STATUS = `mutation($id: ID!, $s: ApiKeyStatusSetting!) { setApiKeyStatus(input: { id: $id, status: $s }) { status } }`;
const VIEWER = `{ viewer { principal { id } } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rotate(token: string, id: string, gracePeriodSeconds?: number): Promise<Rotated> {
  const input = gracePeriodSeconds === undefined ? { id } : { id, gracePeriodSeconds };
  return defined((await t.client.ok<{ rotateApiKey: Rotated | null }>(ROTATE, { input }, token)).rotateApiKey, 'the rotated key');
}

async function readKey(token: string, id: string): Promise<KeyView> {
  const data = await t.client.ok<{ node: KeyView | null }>(
    `query($id: ID!) { node(id: $id) { ... on ApiKey { ${KEY_FIELDS} } } }`,
    { id },
    token,
  );
  return defined(data.node, `the API key ${id}`);
}

/** 'OK' when `secret` authenticates a plain query, else the error code. */
async function viewerWith(secret: string): Promise<string> {
  const result = await t.client.request(VIEWER, {}, { token: secret });
  return result.errors?.[0]?.extensions?.code ?? 'OK';
}

/** What `secret` gets from modelAccess and from any other query. */
const answers = async (secret: string) => [await modelCall(t.client, secret, MODEL), await viewerWith(secret)];
const WORKS = ['ALLOWED', 'OK'];
const REFUSED = ['UNAUTHENTICATED', 'UNAUTHENTICATED'];

describe('rotateApiKey', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;
  let manager: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    await authorizeModel(t.client, account.token, account.W, OTHER_MODEL);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    manager = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['ADMINISTRATOR'] });
  });

  it.each([
    ['gracePeriodSeconds 0', 0],
    ['no gracePeriodSeconds (default 0)', undefined],
  ])('%s: the old secret is refused at once, the new one works; the key is the same key', async (_name, grace) => {
    const key = await createKey(t.client, owner.token, account.W, { description: 'rotate me', modelScope: [MODEL] });
    const before = await readKey(account.token, key.id);
    const rotated = await rotate(owner.token, key.id, grace);
    expect(rotated.secret).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(rotated.secret).not.toBe(key.secret);
    expect(rotated.previousSecretExpiresAt).toBeNull();
    expect(rotated.apiKey.prefix).toBe(rotated.secret.slice(0, 9));
    expect(rotated.apiKey.prefix).not.toBe(before.prefix);
    // Only the secret (and so the prefix) changed.
    expect(rotated.apiKey).toEqual({ ...before, prefix: rotated.apiKey.prefix });
    expect(await readKey(account.token, key.id)).toEqual(rotated.apiKey);

    expect(await answers(key.secret)).toEqual(REFUSED);
    expect(await answers(rotated.secret)).toEqual(WORKS);
    // The model scope came along.
    expect(await modelCall(t.client, rotated.secret, OTHER_MODEL)).toBe('OUTSIDE_KEY_SCOPE');
  });

  it('gracePeriodSeconds 2: both secrets work, then after the grace period only the new one does', async () => {
    const key = await createKey(t.client, owner.token, account.W);
    const asked = Date.now();
    const rotated = await rotate(owner.token, key.id, 2);
    const graceEnds = Date.parse(defined(rotated.previousSecretExpiresAt, 'previousSecretExpiresAt'));
    expect(graceEnds).toBeGreaterThanOrEqual(asked + 1_000);
    expect(graceEnds).toBeLessThanOrEqual(Date.now() + 3_000);
    expect(rotated.apiKey.prefix).toBe(rotated.secret.slice(0, 9));
    expect(rotated.apiKey.prefix).not.toBe(key.secret.slice(0, 9));

    expect(await answers(key.secret)).toEqual(WORKS);
    expect(await answers(rotated.secret)).toEqual(WORKS);

    await sleep(Math.max(0, graceEnds - Date.now()) + 500);
    expect(await answers(key.secret)).toEqual(REFUSED);
    expect(await answers(rotated.secret)).toEqual(WORKS);
  });

  it('the longest grace period (86,400 s) is accepted and ends about 24 h from now', async () => {
    const key = await createKey(t.client, owner.token, account.W);
    const rotated = await rotate(owner.token, key.id, 86_400);
    const graceEnds = Date.parse(defined(rotated.previousSecretExpiresAt, 'previousSecretExpiresAt'));
    expect(Math.abs(graceEnds - (Date.now() + 86_400_000))).toBeLessThan(60_000);
    expect(await answers(key.secret)).toEqual(WORKS);
    expect(await answers(rotated.secret)).toEqual(WORKS);
  });

  it('rotating again ends the earlier secret at once, grace or not', async () => {
    const key = await createKey(t.client, owner.token, account.W);
    const second = await rotate(owner.token, key.id, 3_600);
    const third = await rotate(owner.token, key.id, 3_600);
    expect(await answers(key.secret)).toEqual(REFUSED);
    expect(await answers(second.secret)).toEqual(WORKS);
    expect(await answers(third.secret)).toEqual(WORKS);
    const fourth = await rotate(owner.token, key.id, 0);
    expect(fourth.previousSecretExpiresAt).toBeNull();
    expect(await answers(second.secret)).toEqual(REFUSED);
    expect(await answers(third.secret)).toEqual(REFUSED);
    expect(await answers(fourth.secret)).toEqual(WORKS);
    expect(new Set([key.secret, second.secret, third.secret, fourth.secret].map((s) => s.slice(0, 9))).size).toBe(4);
  });

  it.each([
    ['-1', -1],
    ['86,401', 86_401],
    ['a very large number', 2_000_000_000],
  ])('gracePeriodSeconds %s → BAD_USER_INPUT naming input.gracePeriodSeconds, nothing changed', async (_name, grace) => {
    const key = await createKey(t.client, owner.token, account.W);
    const before = await readKey(account.token, key.id);
    const fingerprint = await accountFingerprint(t.database.db, account.accountId);
    const result = await t.client.request<{ rotateApiKey: Rotated | null }>(
      ROTATE,
      { input: { id: key.id, gracePeriodSeconds: grace } },
      { token: owner.token },
    );
    expectError(result, 'BAD_USER_INPUT', 'input.gracePeriodSeconds');
    expect(result.data?.rotateApiKey ?? null).toBeNull();
    expect(await accountFingerprint(t.database.db, account.accountId)).toEqual(fingerprint);
    expect(await readKey(account.token, key.id)).toEqual(before);
    expect(await answers(key.secret)).toEqual(WORKS);
  });

  it('the owner (even without pages), a key manager and the root may rotate; the key itself may not', async () => {
    const key = await createKey(t.client, owner.token, account.W);
    await setPages(t.client, account.token, account.W, owner.id, []);
    let current: CreatedKey = key;
    for (const token of [owner.token, manager.token, account.token]) {
      const rotated = await rotate(token, key.id);
      expect(await answers(current.secret)).toEqual(REFUSED);
      current = { id: key.id, secret: rotated.secret };
      expect(await answers(current.secret)).toEqual(WORKS);
    }
    await setPages(t.client, account.token, account.W, owner.id, ['API_KEY']);
    const before = await readKey(account.token, key.id);
    const bySelf = await t.client.request(ROTATE, { input: { id: key.id } }, { token: current.secret });
    expectError(bySelf, 'FORBIDDEN');
    expect(await readKey(account.token, key.id)).toEqual(before);
    expect(await answers(current.secret)).toEqual(WORKS);
  });

  it('a disabled key rotated stays disabled: neither secret works until it is enabled, then the new one does', async () => {
    const key = await createKey(t.client, owner.token, account.W);
    await t.client.ok(SET_STATUS, { id: key.id, s: 'DISABLED' }, owner.token);
    const rotated = await rotate(owner.token, key.id, 3_600);
    expect(rotated.apiKey.status).toBe('DISABLED');
    expect(await answers(key.secret)).toEqual(REFUSED);
    expect(await answers(rotated.secret)).toEqual(REFUSED);
    await t.client.ok(SET_STATUS, { id: key.id, s: 'ENABLED' }, owner.token);
    expect(await answers(rotated.secret)).toEqual(WORKS);
  });

  it('a rotation is audited against the key, without its secret', async () => {
    const key = await createKey(t.client, owner.token, account.W);
    const rotated = await rotate(owner.token, key.id, 60);
    const events = await auditEvents(t.client, account.token, { action: 'rotateApiKey', resourceId: key.id });
    expect(events.map((e) => [e.actorId, e.outcome])).toEqual([[owner.id, 'SUCCESS']]);
    const trail = JSON.stringify(await auditEvents(t.client, account.token, { resourceId: key.id }));
    expect(trail).not.toContain(rotated.secret);
    expect(trail).not.toContain(key.secret);
  });
});

describe('listing keys never shows a secret', () => {
  let account: ModelStudioAccount;
  let owner: TestUser;
  const secrets: string[] = [];
  let keyId: string;
  let newPrefix: string;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    const key = await createKey(t.client, owner.token, account.W, { description: 'listed' });
    keyId = key.id;
    const rotated = await rotate(owner.token, key.id, 3_600);
    newPrefix = rotated.apiKey.prefix;
    secrets.push(key.secret, rotated.secret);
  });

  /** [name, query, variables, whether the key's owner (an API_KEY member, who may not list members) reads it too] */
  const LISTINGS: Array<[string, string, (w: ModelStudioAccount) => Record<string, unknown>, boolean]> = [
    [
      'workspace.apiKeys',
      `query($w: ID!) { workspace(id: $w) { apiKeys(first: 100) { edges { cursor node { ${KEY_FIELDS} } } } } }`,
      (w) => ({ w: w.W }),
      true,
    ],
    [
      'Membership.apiKeys',
      `query($w: ID!) { workspace(id: $w) { members(first: 10) { edges { node { apiKeys { id prefix description status } } } } } }`,
      (w) => ({ w: w.W }),
      false,
    ],
  ];

  it.each(LISTINGS)('%s shows the key with its new prefix, and no secret (old or new)', async (_name, query, variables, byOwner) => {
    for (const token of byOwner ? [account.token, owner.token] : [account.token]) {
      const data = await t.client.ok(query, variables(account), token);
      const text = JSON.stringify(data);
      expect(text).toContain(keyId);
      expect(text).toContain(newPrefix);
      for (const secret of secrets) {
        expect(text).not.toContain(secret);
        // Not even the secret's random part beyond the prefix.
        expect(text).not.toContain(secret.slice(9, 30));
      }
    }
  });

  it('node(id) shows no secret either', async () => {
    const text = JSON.stringify(await readKey(account.token, keyId));
    for (const secret of secrets) expect(text).not.toContain(secret.slice(9, 30));
  });

  it('an ApiKey has no field that holds a secret', async () => {
    for (const field of ['secret', 'secretHash', 'previousSecret']) {
      const result = await t.client.request(
        `query($id: ID!) { node(id: $id) { ... on ApiKey { id ${field} } } }`,
        { id: keyId },
        { token: account.token },
      );
      expectError(result, 'GRAPHQL_VALIDATION_FAILED');
    }
  });
});
