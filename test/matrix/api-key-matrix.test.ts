import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { attachPolicy } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { API_EXPECTATIONS } from './api-expectations.js';
import { allowedCall, CALLED_MODEL, OPERATIONS, RECORD_USAGE } from './operations.js';
import {
  ROWS_ALLOWED_TO_API_KEYS,
  ROWS_ALLOWED_TO_TEMPORARY_KEYS,
  ROWS_REFUSED_TO_ACCESS_KEYS,
  ROWS_REFUSED_TO_API_KEYS,
} from './permission-matrix.js';
import { buildWorld, COLUMNS, fingerprint, registeredUser, setPages, unique, type MatrixActor, type World } from './world.js';

/**
 * The API-key parts of docs/permission-matrix.md: knowledge bases through a key (data permissions),
 * management operations refused to every key, the operations made for keys (rows 30 and 37), and
 * what a key may call (`modelAccess`).
 */
// The tests speak for an inference proxy on 127.0.0.1 that passes its client's address as sourceIp.
const t = gatewayForThisFile({ trustedProxies: ['127.0.0.1/32'] });
let w: World;

const createKey = async (token: string, workspaceId: string, extra: Record<string, unknown> = {}) =>
  (
    await t.client.ok<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } } }`,
      { i: { workspaceId, ...extra } },
      token,
    )
  ).createApiKey;

/** A member of W holding `policies`, with the API_KEY page so that it can make its own key. */
async function memberKey(policies: string[], pages: string[] = ['API_KEY']) {
  const user = await registeredUser(w);
  for (const policy of policies) await attachPolicy(t.client, w.root.token, user.id, policy);
  await setPages(t.client, w.root.token, w.W, user.id, pages);
  return { user, key: await createKey(user.token, w.W) };
}

beforeAll(async () => {
  w = await buildWorld(t.client, t.database.db);
}, 120_000);

describe('knowledge bases through an API key need a data policy and membership', () => {
  const table = [
    { owner: 'ROOT', read: 'OK', write: 'OK' },
    { owner: 'member with AliyunBailianFullAccess', policies: ['AliyunBailianFullAccess'], read: 'OK', write: 'OK' },
    { owner: 'member with AliyunBailianDataFullAccess', policies: ['AliyunBailianDataFullAccess'], read: 'OK', write: 'OK' },
    { owner: 'member with AliyunBailianReadOnlyAccess', policies: ['AliyunBailianReadOnlyAccess'], read: 'OK', write: 'FORBIDDEN' },
    { owner: 'member with AliyunBailianDataReadOnlyAccess', policies: ['AliyunBailianDataReadOnlyAccess'], read: 'OK', write: 'FORBIDDEN' },
    { owner: 'ADMINISTRATOR member without a data policy', policies: [], pages: ['ADMINISTRATOR'], read: 'FORBIDDEN', write: 'FORBIDDEN' },
    { owner: 'ROOT, key of another workspace W2', otherWorkspace: true, read: 'FORBIDDEN', write: 'FORBIDDEN' },
  ];

  it.each(table)('$owner: read $read, create $write', async ({ owner, policies, pages, otherWorkspace, read, write }) => {
    const secret = owner.startsWith('ROOT')
      ? (await createKey(w.root.token, otherWorkspace ? w.W2 : w.W)).secret
      : (await memberKey(defined(policies, `the policies of ${owner}`), pages)).key.secret;
    const listed = await t.client.request(
      `query($w: ID!) { workspace(id: $w) { knowledgeBases { edges { node { id } } } } }`,
      { w: w.W },
      { token: secret },
    );
    expect(outcomeOf(listed)).toBe(read);
    const before = await fingerprint(w.db, w.root.accountId);
    const created = await t.client.request(
      `mutation($w: ID!, $n: String!) { createKnowledgeBase(input: { workspaceId: $w, name: $n }) { id } }`,
      { w: w.W, n: unique('kb') },
      { token: secret },
    );
    expect(outcomeOf(created)).toBe(write);
    if (write !== 'OK') expect(await fingerprint(w.db, w.root.accountId)).toBe(before);
  });
});

describe('API keys never reach the management layer', () => {
  const operations = Object.entries(API_EXPECTATIONS)
    .filter(([, { row }]) => ROWS_REFUSED_TO_API_KEYS.includes(row))
    .map(([operation, { row, expect: byColumn }]) => ({ operation, row, byColumn }));
  const owners = ['ROOT', 'FA'] as const;
  // Not where the owner's own resource cannot exist (row 34 for the root: it has no AccessKey pair).
  const cells = owners.flatMap((owner) =>
    operations.filter(({ byColumn }) => byColumn[owner] !== '-').map(({ operation, row }) => ({ operation, row, owner })),
  );

  it('covers every row refused to keys, the additions included', () => {
    expect([...new Set(cells.map((c) => c.row))].sort((a, b) => a - b)).toEqual([...ROWS_REFUSED_TO_API_KEYS]);
  });

  it.each(cells)("row $row $operation with $owner's key: FORBIDDEN", async ({ operation, owner }) => {
    const token = owner === 'ROOT' ? w.root.token : w.actors.FA.token;
    const created = await createKey(token, w.W);
    const key: MatrixActor = {
      column: owner,
      token: created.secret,
      principalId: w.actors[owner].principalId,
      variant: 'user',
      session: token,
      renew: w.actors[owner].renew,
    };
    let before = '';
    w.probe = async () => {
      before = await fingerprint(w.db, w.root.accountId);
    };
    const op = defined(OPERATIONS[operation], `the operation ${operation}`);
    const result = await op.run(w, key);
    w.probe = undefined;
    expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('FORBIDDEN');
    expect(await fingerprint(w.db, w.root.accountId)).toBe(before);
    await op.cleanup?.(w, key, result);
    await t.client.ok(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: created.apiKey.id }, w.root.token);
  });
});

describe('AccessKey pairs: the rows made for console sessions only (39, changePassword)', () => {
  // Every RAM-user column (the root has no AccessKey pair, a role has none), with a pair of its own.
  const operations = Object.entries(API_EXPECTATIONS).filter(([, { row }]) => ROWS_REFUSED_TO_ACCESS_KEYS.includes(row));
  const owners = ['FA', 'CFA', 'RO', 'RO2', 'RAM', 'WA', 'KEY', 'M', 'NM'] as const;
  const cells = operations.flatMap(([operation, { row }]) => owners.map((owner) => ({ operation, row, owner })));

  it('covers row 39', () => {
    expect([...new Set(cells.map((c) => c.row))]).toEqual([...ROWS_REFUSED_TO_ACCESS_KEYS]);
    expect(owners.every((owner) => COLUMNS[owner].kind === 'USER')).toBe(true);
  });

  it.each(cells)("row $row $operation with $owner's own AccessKey pair: FORBIDDEN, nothing changes", async ({ operation, owner }) => {
    const user = w.actors[owner];
    const created = await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
      `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`,
      { p: user.principalId },
      w.root.token,
    );
    const pair = created.createAccessKey;
    const actor: MatrixActor = { ...user, token: `${pair.accessKey.id}:${pair.secret}`, session: user.token };
    let before = '';
    w.probe = async () => {
      before = await fingerprint(w.db, w.root.accountId);
    };
    const op = defined(OPERATIONS[operation], `the operation ${operation}`);
    const result = await op.run(w, actor);
    w.probe = undefined;
    expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('FORBIDDEN');
    expect(await fingerprint(w.db, w.root.accountId)).toBe(before);
    await op.cleanup?.(w, actor, result);
    await t.client.ok(`mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`, { id: pair.accessKey.id }, w.root.token);
  });
});

const TEMPORARY = `mutation { createTemporaryApiKey(input: { expiresInSeconds: 60 }) { secret expiresAt apiKeyId } }`;

/**
 * Owners of the keys that perform the rows allowed to keys: every column that may hold a key of W
 * (row 18, and M given API_KEY as in row 21), a role session, and a key of the default workspace.
 */
const KEY_OWNERS = [
  { owner: 'ROOT', workspace: 'W' },
  { owner: 'ROOT', workspace: 'D' },
  { owner: 'FA', workspace: 'W' },
  { owner: 'CFA', workspace: 'W' },
  { owner: 'WA', workspace: 'W' },
  { owner: 'KEY', workspace: 'W' },
  { owner: 'M', workspace: 'W', pages: ['MODEL_EXPERIENCE', 'API_KEY'] },
  { owner: 'KEY', workspace: 'W', role: true },
] as const;
type KeyOwner = (typeof KEY_OWNERS)[number];

/** A key made by the owner's console session, and the owner acting with it (its session kept for setups). */
async function keyActorOf(entry: KeyOwner) {
  const owner = entry.owner as 'ROOT' | 'FA' | 'CFA' | 'WA' | 'KEY' | 'M';
  const actor = 'role' in entry ? defined(w.roleActors[owner], `the ${owner} role session`) : w.actors[owner];
  const workspaceId = entry.workspace === 'D' ? w.D : w.W;
  if ('pages' in entry) await setPages(t.client, w.root.token, w.W, actor.principalId, entry.pages);
  const parent = await createKey(actor.token, workspaceId);
  if ('pages' in entry) await setPages(t.client, w.root.token, w.W, actor.principalId, defined(COLUMNS[owner].pages, "M's pages"));
  const key: MatrixActor = { ...actor, token: parent.secret, session: actor.token };
  return { parent, key, workspaceId };
}

describe('rows allowed to keys', () => {
  it('covers every operation of the rows allowed to keys: 30 and 37, below', () => {
    const allowed = Object.entries(API_EXPECTATIONS).filter(([, { row }]) => ROWS_ALLOWED_TO_API_KEYS.includes(row));
    expect(allowed.map(([operation]) => operation)).toEqual(['30', '37']);
    expect(ROWS_ALLOWED_TO_TEMPORARY_KEYS).toEqual([37]);
  });
});

describe('temporary keys: an API key of any owner may derive one (row 30)', () => {
  it.each(KEY_OWNERS)('a key of $workspace owned by $owner (role session: $role): allowed', async (entry) => {
    const { parent, key, workspaceId } = await keyActorOf(entry);

    const before = Date.now();
    const result = await defined(OPERATIONS['30'], 'the operation 30').run(w, key);
    expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('OK');
    const temporary = defined(
      (result.data as { createTemporaryApiKey?: { secret: string; expiresAt: string; apiKeyId: string } } | null | undefined)
        ?.createTemporaryApiKey,
      'the temporary key',
    );
    expect(temporary.secret.startsWith('st-')).toBe(true);
    expect(temporary.apiKeyId).toBe(parent.apiKey.id);
    const expiresAt = Date.parse(temporary.expiresAt);
    expect(expiresAt).toBeGreaterThan(before);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 61_000);

    // It acts in its parent's workspace, like its parent.
    const listed = await t.client.ok<{ workspaces: { edges: Array<{ node: { id: string } }> } }>(
      `{ workspaces(first: 10) { edges { node { id } } } }`,
      {},
      temporary.secret,
    );
    expect(listed.workspaces.edges.map((e) => e.node.id)).toEqual([workspaceId]);
    // docs/api.md: "a temporary key cannot derive another" (the spec: "called with an API key", and an st- key is not one).
    const again = await t.client.request(TEMPORARY, {}, { token: temporary.secret });
    expect(outcomeOf(again), JSON.stringify(again.errors)).toBe('FORBIDDEN');

    await t.client.ok(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: parent.apiKey.id }, w.root.token);
  });
});

describe("recording a call's tokens: the key that was allowed the call, and its temporary keys (row 37)", () => {
  const USAGE_BY_KEY = `query($w: ID!, $since: DateTime!, $until: DateTime!) { workspace(id: $w) { usage(since: $since, until: $until, groupBy: API_KEY) { key calls } } }`;
  /** The calls recorded in the workspace for the key `keyId` (temporary keys count as their parent), read by the root. */
  async function callsOf(workspaceId: string, keyId: string) {
    const data = await t.client.ok<{ workspace: { usage: Array<{ key: string; calls: number }> } }>(
      USAGE_BY_KEY,
      { w: workspaceId, since: new Date(Date.now() - 3600 * 1000).toISOString(), until: new Date(Date.now() + 3600 * 1000).toISOString() },
      w.root.token,
    );
    return data.workspace.usage.find((bucket) => bucket.key === keyId)?.calls ?? 0;
  }
  interface Recorded {
    recordModelUsage?: { callId: string; model: string; inputTokens: number; outputTokens: number; cost: number } | null;
  }
  const recordedBy = async (key: MatrixActor) => {
    const op = defined(OPERATIONS['37'], 'the operation 37');
    const result = await op.run(w, key);
    expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('OK');
    await op.cleanup?.(w, key, result);
    return defined((result.data as Recorded | null | undefined)?.recordModelUsage, 'the recorded usage');
  };

  it.each(KEY_OWNERS)('a key of $workspace owned by $owner (role session: $role), then a temporary key of it: allowed', async (entry) => {
    const { parent, key, workspaceId } = await keyActorOf(entry);
    const usage = await recordedBy(key);
    expect(usage).toMatchObject({ model: CALLED_MODEL, inputTokens: 1, outputTokens: 1 });
    expect(usage.callId.startsWith('call_')).toBe(true);
    expect(usage.cost).toBeGreaterThan(0);
    expect(await callsOf(workspaceId, parent.apiKey.id)).toBe(1);

    // ROWS_ALLOWED_TO_TEMPORARY_KEYS: a temporary key authorizes its own call and records it, counted as its parent.
    const temporary = await t.client.ok<{ createTemporaryApiKey: { secret: string } }>(TEMPORARY, {}, parent.secret);
    expect(await recordedBy({ ...key, token: temporary.createTemporaryApiKey.secret })).toMatchObject({ model: CALLED_MODEL });
    expect(await callsOf(workspaceId, parent.apiKey.id)).toBe(2);

    await t.client.ok(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: parent.apiKey.id }, w.root.token);
  });

  it("another key's call is NOT_FOUND and changes nothing: a key of the same workspace and owner, a key of another account", async () => {
    const allowedKey = await createKey(w.root.token, w.W);
    const callId = await allowedCall(w, allowedKey.secret);
    const sibling = await createKey(w.root.token, w.W);
    const otherDefault = await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      w.other.token,
    );
    const foreign = await createKey(w.other.token, otherDefault.activateModelStudio.id);
    for (const secret of [sibling.secret, foreign.secret]) {
      const before = await fingerprint(w.db, w.root.accountId);
      const result = await t.client.request(RECORD_USAGE, { c: callId }, { token: secret });
      expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('NOT_FOUND');
      expect(await fingerprint(w.db, w.root.accountId)).toBe(before);
    }
    // The call is still unrecorded: its own key records it.
    const own = await t.client.request(RECORD_USAGE, { c: callId }, { token: allowedKey.secret });
    expect(outcomeOf(own), JSON.stringify(own.errors)).toBe('OK');
  });
});

describe('what a key may call (modelAccess)', () => {
  const ACCESS = `query($m: ID!, $ip: String) { modelAccess(model: $m, sourceIp: $ip) { allowed reason rateLimit { requestLimit } } }`;
  const access = async (secret: string, model: string, ip?: string) => {
    const result = await t.client.request<{
      modelAccess: { allowed: boolean; reason: string; rateLimit: { requestLimit: number | null } | null };
    }>(ACCESS, { m: model, ip }, { token: secret });
    return result.errors ? { code: outcomeOf(result) } : defined(result.data, `the modelAccess answer for ${model}`).modelAccess;
  };

  it('a default-workspace key calls every standard model, with no rate limit', async () => {
    const { secret } = await createKey(w.root.token, w.D);
    for (const model of ['qwen-max', 'qwen-plus', 'qwen-turbo', 'qwen-vl-max', 'text-embedding-v3', 'deepseek-r1']) {
      expect(await access(secret, model)).toEqual({ allowed: true, reason: 'ALLOWED', rateLimit: null });
    }
  });

  it("a sub-workspace key calls what is authorized there, with the workspace's rate limit", async () => {
    const { secret } = await createKey(w.root.token, w.W2);
    expect(await access(secret, 'qwen-vl-max')).toMatchObject({ allowed: false, reason: 'MODEL_NOT_AUTHORIZED' });
    await t.client.ok(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-vl-max", inference: true }) { inference } }`,
      { w: w.W2 },
      w.root.token,
    );
    expect(await access(secret, 'qwen-vl-max')).toEqual({ allowed: true, reason: 'ALLOWED', rateLimit: null });
    await t.client.ok(
      `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-vl-max", requestLimit: 7, requestLimitPeriodSeconds: 60 }) { requestLimit } }`,
      { w: w.W2 },
      w.root.token,
    );
    expect(await access(secret, 'qwen-vl-max')).toEqual({ allowed: true, reason: 'ALLOWED', rateLimit: { requestLimit: 7 } });
    await t.client.ok(
      `mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: CLOSE }) { id } }`,
      { w: w.W2 },
      w.root.token,
    );
    expect(await access(secret, 'qwen-vl-max')).toMatchObject({ allowed: false, reason: 'MODEL_NOT_AUTHORIZED' });
  });

  it("fine-tuned models: callable with their workspace's keys only", async () => {
    await t.client.ok(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-turbo", finetune: true }) { finetune } }`,
      { w: w.W },
      w.root.token,
    );
    const tuned = await t.client.ok<{ createFineTunedModel: { id: string } }>(
      `mutation($w: ID!) { createFineTunedModel(input: { workspaceId: $w, baseModel: "qwen-turbo", suffix: "support" }) { id } }`,
      { w: w.W },
      w.root.token,
    );
    const model = tuned.createFineTunedModel.id;
    expect(await access((await createKey(w.root.token, w.W)).secret, model)).toMatchObject({ allowed: true, reason: 'ALLOWED' });
    expect(await access((await createKey(w.root.token, w.W2)).secret, model)).toMatchObject({
      allowed: false,
      reason: 'MODEL_NOT_AUTHORIZED',
    });
  });

  it('a key scope and an IP allowlist narrow what the workspace allows', async () => {
    const scoped = await createKey(w.root.token, w.D, { modelScope: ['qwen-plus'], ipAllowlist: ['10.1.0.0/16', '2001:db8::/32'] });
    expect(await access(scoped.secret, 'qwen-plus', '10.1.2.3')).toMatchObject({ allowed: true });
    expect(await access(scoped.secret, 'qwen-plus', '2001:db8::1')).toMatchObject({ allowed: true });
    expect(await access(scoped.secret, 'qwen-max', '10.1.2.3')).toMatchObject({ allowed: false, reason: 'OUTSIDE_KEY_SCOPE' });
    expect(await access(scoped.secret, 'qwen-plus', '10.2.0.1')).toMatchObject({ allowed: false, reason: 'SOURCE_IP_NOT_ALLOWED' });
  });

  it("the owner's standing: removed or disabled pauses the key, deleted ends it; the root's key is unaffected", async () => {
    await t.client.ok(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: true }) { inference } }`,
      { w: w.W },
      w.root.token,
    );
    // M's key: page permissions never restrict keys (M holds no API_KEY page once the key exists).
    const { user, key } = await memberKey([], ['API_KEY']);
    await setPages(t.client, w.root.token, w.W, user.id, []);
    const rootKey = await createKey(w.root.token, w.W);
    const check = async (expected: unknown) => {
      expect(await access(key.secret, 'qwen-max')).toMatchObject(expected as object);
      expect(await access(rootKey.secret, 'qwen-max')).toMatchObject({ allowed: true });
    };
    await check({ allowed: true, reason: 'ALLOWED' });
    await t.client.ok(
      `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`,
      { w: w.W, p: user.id },
      w.root.token,
    );
    await check({ allowed: false, reason: 'KEY_INACTIVE' });
    await setPages(t.client, w.root.token, w.W, user.id, []);
    await check({ allowed: true, reason: 'ALLOWED' });
    await t.client.ok(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: user.id }, w.root.token);
    await check({ allowed: false, reason: 'KEY_INACTIVE' });
    await t.client.ok(`mutation($id: ID!) { enableRamUser(id: $id) { id } }`, { id: user.id }, w.root.token);
    await check({ allowed: true, reason: 'ALLOWED' });
    await t.client.ok(`mutation($id: ID!) { deleteRamUser(id: $id) { id } }`, { id: user.id }, w.root.token);
    await check({ code: 'UNAUTHENTICATED' });
    await t.client.ok(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: rootKey.apiKey.id }, w.root.token);
    expect(await access(rootKey.secret, 'qwen-max')).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('session tokens are not API keys', async () => {
    expect(await access(w.root.token, 'qwen-max')).toEqual({ code: 'FORBIDDEN' });
  });
});
