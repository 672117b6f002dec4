import { randomBytes } from 'node:crypto';
import type { CompiledQuery } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { SessionSigner } from '../../src/auth/session.js';
import type { TestUser } from '../helpers/fixtures.js';
import {
  authorizeModel,
  createKey,
  createWorkspace,
  deleteKey,
  missingId,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  removeMember,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { observingLookups as observing } from '../helpers/held-lookups.js';
import { gatewayForThisFile, TEST_JWT_SECRET } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';
import { setRateLimit } from '../usage/support.js';

/**
 * Concurrent requests' API-key lookups run as one statement (src/db/coalesced-statements.ts):
 * whatever statement answered it, each request must get its own key's answer, never another
 * key's or another account's, and a key revoked before the requests came must be refused.
 */

// The statement count of each request (x-sql-statements), and an inference proxy on 127.0.0.1 passing sourceIp.
const t = gatewayForThisFile({ exposeStatementCount: true, trustedProxies: ['127.0.0.1/32'] });

const PLUS = 'qwen-plus';
const MAX = 'qwen-max';

const MODEL_ACCESS = `query($m: ID!, $ip: String) { modelAccess(model: $m, sourceIp: $ip) { allowed reason workspace { id } rateLimit { requestLimit } } }`;
const WHO_AM_I = `{ viewer { principal { id } credential } workspaces(first: 10) { edges { node { id } } } }`;
const CREATE_TEMPORARY = `mutation { createTemporaryApiKey(input: { expiresInSeconds: 600 }) { secret } }`;
const SET_STATUS = `mutation($id: ID!) { setApiKeyStatus(input: { id: $id, status: DISABLED }) { status } }`;

/** What a request came to: the answer's facts, or the code of its error. */
type Outcome =
  | { allowed: boolean; reason: string; workspace: string; requestLimit: number | null }
  | { principal: string; credential: string; workspaces: string[] }
  | { error: string };

interface Answered {
  outcome: Outcome;
  statements: string | null;
}

interface ModelAccessData {
  modelAccess: { allowed: boolean; reason: string; workspace: { id: string }; rateLimit: { requestLimit: number | null } | null };
}
interface WhoAmIData {
  viewer: { principal: { id: string }; credential: string };
  workspaces: { edges: Array<{ node: { id: string } }> };
}

/** Sends one request as a client would, with its statement count. */
async function send(query: string, variables: Record<string, unknown>, token: string) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
  return { body, statements: response.headers.get('x-sql-statements') };
}

async function modelAccess(token: string, model: string, sourceIp: string | null): Promise<Answered> {
  const { body, statements } = await send(MODEL_ACCESS, { m: model, ip: sourceIp }, token);
  const error = body.errors?.[0];
  if (error) return { outcome: { error: error.extensions?.code ?? 'NO CODE' }, statements };
  const access = defined(body.data as ModelAccessData | null | undefined, 'the modelAccess answer').modelAccess;
  return {
    outcome: {
      allowed: access.allowed,
      reason: access.reason,
      workspace: access.workspace.id,
      requestLimit: access.rateLimit?.requestLimit ?? null,
    },
    statements,
  };
}

async function whoAmI(token: string): Promise<Answered> {
  const { body, statements } = await send(WHO_AM_I, {}, token);
  const error = body.errors?.[0];
  if (error) return { outcome: { error: error.extensions?.code ?? 'NO CODE' }, statements };
  const data = defined(body.data as WhoAmIData | null | undefined, 'the viewer answer');
  return {
    outcome: {
      principal: data.viewer.principal.id,
      credential: data.viewer.credential,
      workspaces: data.workspaces.edges.map((e) => e.node.id),
    },
    statements,
  };
}

/** A key lookup statement as the database received it: which one, by what kind of key, for how many keys. */
interface LookupStatement {
  name: 'model_call' | 'api_key_authentication';
  by: 'secret' | 'temporary';
  keys: number;
}

function lookupStatement(query: CompiledQuery<unknown>): LookupStatement | null {
  // The presented keys' statements unnest their keys `with ordinality` (api-keys.repository.ts).
  if (!query.sql.includes('with ordinality') || !query.sql.includes('"api_key" as "k"')) return null;
  const lists = query.parameters.filter((parameter): parameter is unknown[] => Array.isArray(parameter));
  return {
    name: query.sql.includes('"model_authorization"') ? 'model_call' : 'api_key_authentication',
    by: query.sql.includes('api_key_id') ? 'temporary' : 'secret',
    keys: lists[0]?.length ?? -1,
  };
}

/**
 * Runs `burst` (which sends `requests` requests at once) and reports the key lookup statements
 * the database received; with `hold`, held until every request has come
 * (test/helpers/held-lookups.ts).
 */
const observingLookups = <T>(requests: number, hold: boolean, burst: () => Promise<T>) =>
  observing(t, lookupStatement, requests, hold, burst);

const signer = new SessionSigner(TEST_JWT_SECRET, 3600);

describe('concurrent API-key lookups, one statement for several requests', () => {
  let a: ModelStudioAccount;
  let b: ModelStudioAccount;
  /** A second sub-workspace of account A, with other models. */
  let aW2: string;
  let aUser: TestUser;
  let keys: Record<'aW' | 'aD' | 'aIp' | 'aUser' | 'aLeft' | 'bW' | 'bD', CreatedKey>;
  /** A temporary key derived from keys.aW. */
  let aTemporary: string;
  /** Well-formed secrets of no key: an sk- secret, and a correctly signed temporary key naming a key that does not exist. */
  let unknownSecret: string;
  let unknownTemporary: string;

  beforeAll(async () => {
    a = await modelStudioAccount(t.client);
    await authorizeModel(t.client, a.token, a.W, PLUS);
    await setRateLimit(t.client, a.token, a.W, PLUS, { requestLimit: 11, requestLimitPeriodSeconds: 60 });
    aW2 = await createWorkspace(t.client, a.token, 'W2');
    await authorizeModel(t.client, a.token, aW2, MAX);
    await setRateLimit(t.client, a.token, aW2, MAX, { requestLimit: 12, requestLimitPeriodSeconds: 60 });
    aUser = await modelStudioUser(t.client, a, { workspaceId: aW2, pages: ['API_KEY'] });
    const leaver = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });

    b = await modelStudioAccount(t.client);
    await authorizeModel(t.client, b.token, b.W, MAX);
    await setRateLimit(t.client, b.token, b.W, MAX, { requestLimit: 21, requestLimitPeriodSeconds: 60 });

    keys = {
      aW: await createKey(t.client, a.token, a.W),
      aD: await createKey(t.client, a.token, a.D),
      aIp: await createKey(t.client, a.token, a.W, { ipAllowlist: ['10.0.0.0/8'] }),
      aUser: await createKey(t.client, aUser.token, aW2, { modelScope: [MAX] }),
      aLeft: await createKey(t.client, leaver.token, a.W),
      bW: await createKey(t.client, b.token, b.W),
      bD: await createKey(t.client, b.token, b.D),
    };
    // The owner leaves the key's workspace: the key is inactive.
    await removeMember(t.client, a.token, a.W, leaver.id);
    aTemporary = defined(
      (await t.client.ok<{ createTemporaryApiKey: { secret: string } | null }>(CREATE_TEMPORARY, {}, keys.aW.secret)).createTemporaryApiKey,
      'the temporary key',
    ).secret;
    unknownSecret = `sk-${randomBytes(32).toString('base64url')}`;
    unknownTemporary = (await signer.issueTemporaryKey({ apiKeyId: missingId.apiKey(), generation: 1 }, new Date(Date.now() + 600_000)))
      .secret;
  });

  /** Two keys of account A that worked a moment ago: one deleted since, one disabled since. */
  async function revokedJustBefore() {
    const deleted = await createKey(t.client, a.token, a.W);
    const disabled = await createKey(t.client, a.token, a.W);
    expect(await modelCall(t.client, deleted.secret, PLUS)).toBe('ALLOWED');
    expect(await modelCall(t.client, disabled.secret, PLUS)).toBe('ALLOWED');
    await deleteKey(t.client, a.token, deleted.id);
    await t.client.ok(SET_STATUS, { id: disabled.id }, a.token);
    return { deleted: deleted.secret, disabled: disabled.secret };
  }

  const allowed = (workspace: string, requestLimit: number | null = null): Outcome => ({
    allowed: true,
    reason: 'ALLOWED',
    workspace,
    requestLimit,
  });
  const refused = (reason: string, workspace: string): Outcome => ({ allowed: false, reason, workspace, requestLimit: null });
  const UNAUTHENTICATED: Outcome = { error: 'UNAUTHENTICATED' };

  interface Case {
    name: string;
    secret: string;
    model: string;
    sourceIp: string | null;
    expected: Outcome;
  }

  /** Every key and model the proxy asks about, with the answer each must get. */
  function modelAccessCases(revoked: { deleted: string; disabled: string }): Case[] {
    const c = (name: string, secret: string, model: string, expected: Outcome, sourceIp: string | null = null) => ({
      name,
      secret,
      model,
      sourceIp,
      expected,
    });
    return [
      c('A root key in W, authorized model', keys.aW.secret, PLUS, allowed(a.W, 11)),
      c('A root key in W, model not authorized there', keys.aW.secret, MAX, refused('MODEL_NOT_AUTHORIZED', a.W)),
      c('A user key in W2, in scope', keys.aUser.secret, MAX, allowed(aW2, 12)),
      c('A user key in W2, model not authorized there', keys.aUser.secret, PLUS, refused('MODEL_NOT_AUTHORIZED', aW2)),
      c('A root key in the default workspace', keys.aD.secret, PLUS, allowed(a.D)),
      c('A key with an allowlist, from inside it', keys.aIp.secret, PLUS, allowed(a.W, 11), '10.1.2.3'),
      c('A key with an allowlist, from outside it', keys.aIp.secret, PLUS, refused('SOURCE_IP_NOT_ALLOWED', a.W), '11.0.0.1'),
      c('A temporary key, authorized model', aTemporary, PLUS, allowed(a.W, 11)),
      c('A temporary key, model not authorized', aTemporary, MAX, refused('MODEL_NOT_AUTHORIZED', a.W)),
      c('A key whose owner left its workspace', keys.aLeft.secret, PLUS, refused('KEY_INACTIVE', a.W)),
      c('B root key in W, authorized model', keys.bW.secret, MAX, allowed(b.W, 21)),
      c('B root key in W, model not authorized there', keys.bW.secret, PLUS, refused('MODEL_NOT_AUTHORIZED', b.W)),
      c('B root key in W, no such model', keys.bW.secret, 'no-such-model', refused('MODEL_NOT_FOUND', b.W)),
      c('B root key in the default workspace', keys.bD.secret, PLUS, allowed(b.D)),
      c('an sk- secret of no key', unknownSecret, PLUS, UNAUTHENTICATED),
      c('a temporary key of no key', unknownTemporary, PLUS, UNAUTHENTICATED),
      c('a key deleted just before', revoked.deleted, PLUS, UNAUTHENTICATED),
      c('a key disabled just before', revoked.disabled, PLUS, UNAUTHENTICATED),
    ];
  }

  /** The cases three times over, each round in another order, so that a key's neighbours differ. */
  const rounds = <T>(cases: T[]): T[] => [0, 5, 11].flatMap((shift) => [...cases.slice(shift), ...cases.slice(0, shift)]);

  async function modelAccessBurst(hold: boolean) {
    const cases = modelAccessCases(await revokedJustBefore());
    // Each case answers as expected on its own, one at a time, with its one statement.
    const alone: Array<{ name: string; outcome: Outcome; statements: string | null }> = [];
    for (const r of cases) alone.push({ name: r.name, ...(await modelAccess(r.secret, r.model, r.sourceIp)) });
    expect(alone).toEqual(cases.map((r) => ({ name: r.name, outcome: r.expected, statements: '1' })));

    const requests = rounds(cases);
    expect(requests.length).toBe(54);

    const { result, seen, received } = await observingLookups(requests.length, hold, () =>
      Promise.all(requests.map((r) => modelAccess(r.secret, r.model, r.sourceIp))),
    );
    expect(received).toBe(requests.length);
    expect(result.map((answer, i) => ({ name: requests[i]?.name, outcome: answer.outcome }))).toEqual(
      requests.map((r) => ({ name: r.name, outcome: r.expected })),
    );
    // Each request counts the one statement that answered it, however many others it answered.
    expect(result.map((answer) => answer.statements)).toEqual(requests.map(() => '1'));
    // The statements the database received looked up every request's key once, none past 64.
    const modelCalls = seen.filter((s) => s.name === 'model_call');
    expect(seen.filter((s) => s.name !== 'model_call')).toEqual([]);
    const temporaryRequests = requests.filter((r) => r.secret.startsWith('st-')).length;
    const keysBy = (by: LookupStatement['by']) => modelCalls.filter((s) => s.by === by).reduce((sum, s) => sum + s.keys, 0);
    expect({ secret: keysBy('secret'), temporary: keysBy('temporary') }).toEqual({
      secret: requests.length - temporaryRequests,
      temporary: temporaryRequests,
    });
    for (const statement of modelCalls) {
      expect(statement.keys).toBeGreaterThanOrEqual(1);
      expect(statement.keys).toBeLessThanOrEqual(64);
    }
    return modelCalls;
  }

  it('54 concurrent modelAccess requests (two accounts, keys repeated, temporary, unknown, revoked) each get their own answer', async () => {
    await modelAccessBurst(false);
  });

  it('the same while the first lookups are held: the others share statements, and still each get their own answer', async () => {
    const statements = await modelAccessBurst(true);
    const secret = statements.filter((s) => s.by === 'secret').map((s) => s.keys);
    const temporary = statements.filter((s) => s.by === 'temporary').map((s) => s.keys);
    // The first of each kind ran at once, alone; the rest went together in fewer statements.
    expect(secret[0]).toBe(1);
    expect(temporary[0]).toBe(1);
    expect(Math.max(...secret)).toBeGreaterThan(1);
    expect(Math.max(...temporary)).toBeGreaterThan(1);
    const sum = (sizes: number[]) => sizes.reduce((total, size) => total + size, 0);
    expect(secret.length).toBeLessThan(sum(secret));
    expect(temporary.length).toBeLessThan(sum(temporary));
  });

  /** Requests of another operation, authenticated by the same keys. */
  async function whoAmIBurst(hold: boolean) {
    const revoked = await revokedJustBefore();
    const principal = (id: string, workspaces: string[]): Outcome => ({ principal: id, credential: 'API_KEY', workspaces });
    const cases = [
      { name: 'A root key in W', secret: keys.aW.secret, expected: principal(a.rootId, [a.W]) },
      { name: 'A root key in the default workspace', secret: keys.aD.secret, expected: principal(a.rootId, [a.D]) },
      { name: 'A user key in W2', secret: keys.aUser.secret, expected: principal(aUser.id, [aW2]) },
      { name: 'A temporary key', secret: aTemporary, expected: principal(a.rootId, [a.W]) },
      { name: 'B root key in W', secret: keys.bW.secret, expected: principal(b.rootId, [b.W]) },
      { name: 'B root key in the default workspace', secret: keys.bD.secret, expected: principal(b.rootId, [b.D]) },
      { name: 'A key whose owner left its workspace', secret: keys.aLeft.secret, expected: UNAUTHENTICATED },
      { name: 'an sk- secret of no key', secret: unknownSecret, expected: UNAUTHENTICATED },
      { name: 'a temporary key of no key', secret: unknownTemporary, expected: UNAUTHENTICATED },
      { name: 'a key deleted just before', secret: revoked.deleted, expected: UNAUTHENTICATED },
      { name: 'a key disabled just before', secret: revoked.disabled, expected: UNAUTHENTICATED },
    ];
    const requests = rounds(cases);
    const { result, seen, received } = await observingLookups(requests.length, hold, () =>
      Promise.all(requests.map((r) => whoAmI(r.secret))),
    );
    expect(received).toBe(requests.length);
    expect(result.map((answer, i) => ({ name: requests[i]?.name, outcome: answer.outcome }))).toEqual(
      requests.map((r) => ({ name: r.name, outcome: r.expected })),
    );
    const authentications = seen.filter((s) => s.name === 'api_key_authentication');
    expect(seen.filter((s) => s.name !== 'api_key_authentication')).toEqual([]);
    expect(authentications.reduce((sum, s) => sum + s.keys, 0)).toBe(requests.length);
    return authentications;
  }

  it('concurrent reads authenticated by API keys each get their own principal and workspaces', async () => {
    await whoAmIBurst(false);
  });

  it('the same while the first authentications are held: shared statements, and each requester still its own principal', async () => {
    const statements = await whoAmIBurst(true);
    const secret = statements.filter((s) => s.by === 'secret').map((s) => s.keys);
    // The first ran at once, alone; the others waited for it and went together.
    expect(secret[0]).toBe(1);
    expect(Math.max(...secret)).toBeGreaterThan(1);
  });

  it('modelAccess and key-authenticated reads at the same time, each answered for its own key', async () => {
    const revoked = await revokedJustBefore();
    const cases = modelAccessCases(revoked);
    const [answers, viewers] = await Promise.all([
      Promise.all(rounds(cases).map((r) => modelAccess(r.secret, r.model, r.sourceIp))),
      Promise.all([keys.aW.secret, keys.bW.secret, keys.aUser.secret, revoked.deleted].flatMap((secret) => [secret, secret]).map(whoAmI)),
    ]);
    expect(answers.map((answer) => answer.outcome)).toEqual(rounds(cases).map((r) => r.expected));
    expect(viewers.map((viewer) => viewer.outcome)).toEqual(
      [
        { principal: a.rootId, credential: 'API_KEY', workspaces: [a.W] },
        { principal: b.rootId, credential: 'API_KEY', workspaces: [b.W] },
        { principal: aUser.id, credential: 'API_KEY', workspaces: [aW2] },
        UNAUTHENTICATED,
      ].flatMap((outcome) => [outcome, outcome]),
    );
  });
});
