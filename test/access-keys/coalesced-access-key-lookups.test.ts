import type { CompiledQuery } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { findAccessKeyWithUser } from '../../src/access-keys/access-keys.repository.js';
import { defined } from '../helpers/assertions.js';
import { changeStatus, type TestUser } from '../helpers/fixtures.js';
import {
  createWorkspace,
  modelStudioAccount,
  modelStudioUser,
  setPages,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import {
  UNAUTHENTICATED,
  boundList,
  observingLookups as observing,
  spyOnLookups,
  whoAmI as whoAmIOf,
  type Outcome,
  expectOneCredentialBurst,
} from '../helpers/held-lookups.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

/**
 * Concurrent requests signed by AccessKey pairs read their pairs (with the pairs' users and the
 * users' memberships) with one statement (`findAccessKeyWithUser` through
 * src/db/coalesced-statements.ts): whatever statement answered it, each request must act as its
 * own pair's user, see that user's workspaces only, and be refused when its secret is wrong or
 * its pair (or user) was disabled or deleted before it came; and a request never shares an
 * object with another one answered by the same statement.
 */

// The statement count of each request (x-sql-statements).
const t = gatewayForThisFile({ exposeStatementCount: true });

/** What the authentication statement alone answers: the pair's user, its policies and its memberships' pages. */
const VIEWER_ONLY = `{ viewer { credential principal { id } policies memberships { pages } } }`;
const CREATE_PAIR = `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`;
const SET_PAIR_STATUS = `mutation($id: ID!, $s: AccessKeyStatus!) { setAccessKeyStatus(input: { id: $id, status: $s }) { id status } }`;
const DELETE_PAIR = `mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`;

const whoAmI = (token: string) => whoAmIOf(t, token);

/** Sends VIEWER_ONLY signed by `token`: who the request acted as (or its error code), with its statement count. */
async function viewerOnly(token: string) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: VIEWER_ONLY }),
  });
  type ViewerOnlyData = {
    viewer: { credential: string; principal: { id: string }; policies: string[]; memberships: Array<{ pages: string[] }> };
  };
  const body = (await response.json()) as { data?: ViewerOnlyData | null; errors?: Array<{ extensions?: { code?: string } }> };
  const statements = response.headers.get('x-sql-statements');
  const error = body.errors?.[0];
  if (error) return { outcome: { error: error.extensions?.code ?? 'NO CODE' }, statements };
  const viewer = defined(body.data, 'the viewer answer').viewer;
  return {
    outcome: {
      principal: viewer.principal.id,
      credential: viewer.credential,
      policies: viewer.policies,
      pages: viewer.memberships.map((m) => m.pages),
    },
    statements,
  };
}

/** An AccessKey pair: its AccessKeyId, and what goes after `Bearer `. */
interface Pair {
  id: string;
  token: string;
}

/** A pair for `principalId`, created by `adminToken` through the API. */
async function createPair(adminToken: string, principalId: string): Promise<Pair> {
  const created = (
    await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(CREATE_PAIR, { p: principalId }, adminToken)
  ).createAccessKey;
  return { id: created.accessKey.id, token: `${created.accessKey.id}:${created.secret}` };
}

/** The pair's token with its secret's last character changed: the right AccessKeyId, a wrong secret. */
function wrongSecret(pair: Pair): string {
  const last = pair.token.at(-1);
  return `${pair.token.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
}

/** The AccessKey IDs a pair lookup statement asked for (findAccessKeyWithUser's, access-keys.repository.ts), or null for any other statement. */
const pairLookupIds = (query: CompiledQuery<unknown>) => boundList(query, ['ak.id = any(', '"access_key" as "ak"']);
const spyOnPairLookups = (hold: boolean) => spyOnLookups(t, pairLookupIds, hold);
const observingLookups = <T>(requests: number, hold: boolean, burst: () => Promise<T>) =>
  observing(t, pairLookupIds, requests, hold, burst);

/** A request to send: its pair token, the AccessKey ID its lookup asks for, and the answer it must get. */
interface Case {
  name: string;
  token: string;
  id: string;
  expected: Outcome;
}

/** The cases three times over, each round in another order, so that a pair's neighbours differ. */
const rounds = <T>(cases: T[]): T[] => [0, 5, 11].flatMap((shift) => [...cases.slice(shift), ...cases.slice(0, shift)]);

describe('concurrent AccessKey pair lookups, one statement for several requests', () => {
  let a: ModelStudioAccount;
  let b: ModelStudioAccount;
  /** A second sub-workspace of account A. */
  let aW2: string;
  /** Members of A's W, of W2, of both; a super administrator of A (member of nothing); members of B's W and D. */
  let aUserW: TestUser;
  let aUserW2: TestUser;
  let aUserBoth: TestUser;
  let aAdmin: TestUser;
  let bUserW: TestUser;
  let bUserD: TestUser;
  /** Their pairs: aUserW has two (its limit), the others one each. */
  let pairs: Record<'aW1' | 'aW2nd' | 'aW2' | 'aBoth' | 'aAdmin' | 'bW' | 'bD', Pair>;

  beforeAll(async () => {
    a = await modelStudioAccount(t.client);
    aW2 = await createWorkspace(t.client, a.token, 'W2');
    aUserW = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });
    aUserW2 = await modelStudioUser(t.client, a, { workspaceId: aW2, pages: ['MODEL_EXPERIENCE'] });
    aUserBoth = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['MODEL_TUNING'] });
    await setPages(t.client, a.token, aW2, aUserBoth.id, ['API_KEY', 'MY_MODELS']);
    aAdmin = await modelStudioUser(t.client, a, { policies: ['AliyunBailianFullAccess'] });

    b = await modelStudioAccount(t.client);
    bUserW = await modelStudioUser(t.client, b, { workspaceId: b.W, pages: ['API_KEY', 'MODEL_EXPERIENCE'] });
    bUserD = await modelStudioUser(t.client, b, { workspaceId: b.D, pages: ['BATCH_INFERENCE'] });

    pairs = {
      aW1: await createPair(a.token, aUserW.id),
      aW2nd: await createPair(aUserW.token, aUserW.id),
      aW2: await createPair(a.token, aUserW2.id),
      aBoth: await createPair(a.token, aUserBoth.id),
      aAdmin: await createPair(a.token, aAdmin.id),
      bW: await createPair(b.token, bUserW.id),
      bD: await createPair(b.token, bUserD.id),
    };
  });

  const signedIn = (
    principal: string,
    workspaces: string[],
    more: { policies?: string[]; memberships?: Array<{ workspace: string; pages: string[] }> } = {},
  ): Outcome => ({
    principal,
    credential: 'ACCESS_KEY',
    assumedBy: null,
    policies: more.policies ?? [],
    memberships: more.memberships ?? [],
    workspaces,
  });

  /** The pairs that go on working: RAM users of both accounts, one of them with two pairs. */
  function liveCases(): Case[] {
    const aUserWSignedIn = signedIn(aUserW.id, [a.W], { memberships: [{ workspace: a.W, pages: ['API_KEY'] }] });
    return [
      { name: 'A user in W, its first pair', token: pairs.aW1.token, id: pairs.aW1.id, expected: aUserWSignedIn },
      { name: 'A user in W, its second pair', token: pairs.aW2nd.token, id: pairs.aW2nd.id, expected: aUserWSignedIn },
      {
        name: 'A user in W2',
        token: pairs.aW2.token,
        id: pairs.aW2.id,
        expected: signedIn(aUserW2.id, [aW2], { memberships: [{ workspace: aW2, pages: ['MODEL_EXPERIENCE'] }] }),
      },
      {
        name: 'A user in W and W2',
        token: pairs.aBoth.token,
        id: pairs.aBoth.id,
        expected: signedIn(aUserBoth.id, [a.W, aW2], {
          memberships: [
            { workspace: a.W, pages: ['MODEL_TUNING'] },
            { workspace: aW2, pages: ['API_KEY', 'MY_MODELS'] },
          ],
        }),
      },
      {
        name: 'A super administrator',
        token: pairs.aAdmin.token,
        id: pairs.aAdmin.id,
        expected: signedIn(aAdmin.id, [a.D, a.W, aW2], { policies: ['AliyunBailianFullAccess'] }),
      },
      {
        name: 'B user in W',
        token: pairs.bW.token,
        id: pairs.bW.id,
        expected: signedIn(bUserW.id, [b.W], { memberships: [{ workspace: b.W, pages: ['API_KEY', 'MODEL_EXPERIENCE'] }] }),
      },
      {
        name: 'B user in the default workspace',
        token: pairs.bD.token,
        id: pairs.bD.id,
        expected: signedIn(bUserD.id, [b.D], { memberships: [{ workspace: b.D, pages: ['BATCH_INFERENCE'] }] }),
      },
    ];
  }

  /**
   * Pairs of account A that worked a moment ago and are refused since (one made INACTIVE, one
   * deleted, one whose user was disabled), and two that never worked: a wrong secret for a
   * working pair's AccessKeyId, and an AccessKeyId of no pair.
   */
  async function refusedCases(): Promise<Case[]> {
    const user = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });
    const disabledUser = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });
    const inactive = await createPair(a.token, user.id);
    const deleted = await createPair(a.token, user.id);
    const ofDisabledUser = await createPair(a.token, disabledUser.id);
    const userSignedIn = (id: string) => signedIn(id, [a.W], { memberships: [{ workspace: a.W, pages: ['API_KEY'] }] });
    // Every one of them works before.
    expect((await whoAmI(inactive.token)).outcome).toEqual(userSignedIn(user.id));
    expect((await whoAmI(deleted.token)).outcome).toEqual(userSignedIn(user.id));
    expect((await whoAmI(ofDisabledUser.token)).outcome).toEqual(userSignedIn(disabledUser.id));

    await t.client.ok(SET_PAIR_STATUS, { id: inactive.id, s: 'INACTIVE' }, a.token);
    await t.client.ok(DELETE_PAIR, { id: deleted.id }, a.token);
    await changeStatus(t.client, a.token, 'disableRamUser', disabledUser.id);
    const unknownId = `LTAI${'0'.repeat(20)}`;
    return [
      { name: 'a wrong secret for a working pair', token: wrongSecret(pairs.aW1), id: pairs.aW1.id, expected: UNAUTHENTICATED },
      { name: 'an AccessKeyId of no pair', token: `${unknownId}:${'x'.repeat(32)}`, id: unknownId, expected: UNAUTHENTICATED },
      { name: 'a pair made INACTIVE just before', token: inactive.token, id: inactive.id, expected: UNAUTHENTICATED },
      { name: 'a pair deleted just before', token: deleted.token, id: deleted.id, expected: UNAUTHENTICATED },
      { name: 'a pair whose user was disabled just before', token: ofDisabledUser.token, id: ofDisabledUser.id, expected: UNAUTHENTICATED },
    ];
  }

  /**
   * Sends each case alone (each must get its answer, with its statement count), then all of them
   * at once; each request of the burst must get the same answer and count the same statements.
   */
  async function burst(cases: Case[], hold: boolean) {
    const alone = new Map<string, string | null>();
    const aloneOutcomes: Array<{ name: string; outcome: Outcome }> = [];
    for (const c of cases) {
      const answer = await whoAmI(c.token);
      aloneOutcomes.push({ name: c.name, outcome: answer.outcome });
      alone.set(c.name, answer.statements);
    }
    expect(aloneOutcomes).toEqual(cases.map((c) => ({ name: c.name, outcome: c.expected })));
    for (const count of alone.values()) expect(count).toMatch(/^[1-9][0-9]*$/);
    // A refused pair is one statement: its lookup, shared or not.
    for (const c of cases.filter((c) => 'error' in c.expected)) expect({ [c.name]: alone.get(c.name) }).toEqual({ [c.name]: '1' });

    const requests = rounds(cases);
    expect(requests.length).toBe(3 * cases.length);
    const { result, seen, received } = await observingLookups(requests.length, hold, () =>
      Promise.all(requests.map((r) => whoAmI(r.token))),
    );
    expect(received).toBe(requests.length);
    expect(result.map((answer, i) => ({ name: requests[i]?.name, outcome: answer.outcome }))).toEqual(
      requests.map((r) => ({ name: r.name, outcome: r.expected })),
    );
    // Each request counts what it counted alone: the one lookup statement that answered it, and its own.
    expect(result.map((answer, i) => ({ name: requests[i]?.name, statements: answer.statements }))).toEqual(
      requests.map((r) => ({ name: r.name, statements: alone.get(r.name) })),
    );
    // The lookups asked for every request's pair, and for no other; never more than one statement per request.
    expect(new Set(seen.flat())).toEqual(new Set(requests.map((r) => r.id)));
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.reduce((sum, ids) => sum + ids.length, 0)).toBeLessThanOrEqual(requests.length);
    for (const ids of seen) expect(new Set(ids).size).toBe(ids.length);
    return { requests, seen };
  }

  /** With the lookups held: the first statement answered one request, the later ones several at once, of both accounts. */
  function expectShared(requests: Case[], seen: string[][]) {
    expect(seen[0]).toHaveLength(1);
    expect(requests.map((r) => r.id)).toContain(seen[0]?.[0]);
    expect(seen.length).toBeLessThan(requests.length);
    expect(Math.max(...seen.map((ids) => ids.length))).toBeGreaterThan(1);
    const ofA = new Set([pairs.aW1, pairs.aW2nd, pairs.aW2, pairs.aBoth, pairs.aAdmin].map((p) => p.id));
    const ofB = new Set([pairs.bW, pairs.bD].map((p) => p.id));
    expect(seen.some((ids) => ids.some((id) => ofA.has(id)) && ids.some((id) => ofB.has(id)))).toBe(true);
  }

  it('36 concurrent requests signed by pairs (two accounts, users, a wrong secret, refused pairs) each act as their own user', async () => {
    await burst([...liveCases(), ...(await refusedCases())], false);
  });

  it('the same while the first lookups are held: the others share statements, and each still acts as its own user', async () => {
    const { requests, seen } = await burst([...liveCases(), ...(await refusedCases())], true);
    expectShared(requests, seen);
  });

  it.each([
    ['natural', false],
    ['held', true],
  ])('the same pair 36 times in one burst (%s): every request acts as its user', async (_, hold) => {
    const bothCase = defined(
      liveCases().find((c) => c.name === 'A user in W and W2'),
      'the case of the user in W and W2',
    );
    // Every statement asked for the pair, once.
    await expectOneCredentialBurst(t, pairLookupIds, bothCase, [pairs.aBoth.id], hold);
  });

  it.each([
    ['natural', false],
    ['held', true],
  ])(
    'a pair with its right and a wrong secret, and an INACTIVE pair, in one burst (%s): only the wrong secret and the INACTIVE pair are refused',
    async (_, hold) => {
      const user = await modelStudioUser(t.client, b, { workspaceId: b.W, pages: ['MODEL_OBSERVATION'] });
      const pair = await createPair(b.token, user.id);
      const inactive = await createPair(b.token, user.id);
      const expected = signedIn(user.id, [b.W], { memberships: [{ workspace: b.W, pages: ['MODEL_OBSERVATION'] }] });
      expect((await whoAmI(inactive.token)).outcome).toEqual(expected);
      await t.client.ok(SET_PAIR_STATUS, { id: inactive.id, s: 'INACTIVE' }, b.token);

      const right = await whoAmI(pair.token);
      expect(right.outcome).toEqual(expected);
      // Refused alone, with the one statement of its lookup.
      expect(await whoAmI(wrongSecret(pair))).toEqual({ outcome: UNAUTHENTICATED, statements: '1' });
      expect(await whoAmI(inactive.token)).toEqual({ outcome: UNAUTHENTICATED, statements: '1' });

      const cases = [
        { token: pair.token, answer: { outcome: expected, statements: right.statements } },
        { token: wrongSecret(pair), answer: { outcome: UNAUTHENTICATED, statements: '1' } },
        { token: pair.token, answer: { outcome: expected, statements: right.statements } },
        { token: inactive.token, answer: { outcome: UNAUTHENTICATED, statements: '1' } },
      ];
      const requests = Array.from({ length: 9 }, () => cases).flat();
      const { result, seen, received } = await observingLookups(requests.length, hold, () =>
        Promise.all(requests.map((r) => whoAmI(r.token))),
      );
      expect(received).toBe(36);
      expect(result).toEqual(requests.map((r) => r.answer));
      // The statements asked for the two pairs only, each once at most.
      expect(new Set(seen.flat())).toEqual(new Set([pair.id, inactive.id]));
      for (const ids of seen) expect(new Set(ids).size).toBe(ids.length);
      if (hold) {
        // The first ran alone; the others went together: requests with the right and the wrong secret answered by one statement.
        expect(seen[0]).toHaveLength(1);
        expect(seen.length).toBeLessThan(requests.length);
        expect(seen.some((ids) => ids.length === 2)).toBe(true);
        expect(seen.filter((ids) => ids.includes(pair.id)).length).toBeLessThan(27);
      }
    },
  );

  it.each([
    ['natural', false],
    ['held', true],
  ])(
    'authentication is one statement per request, shared or not (%s): the lookup answers the user, its policies and memberships',
    async (_, hold) => {
      const cases = [...liveCases(), ...(await refusedCases())];
      const expected = (c: Case) =>
        'error' in c.expected
          ? { outcome: c.expected, statements: '1' }
          : {
              outcome: {
                principal: c.expected.principal,
                credential: 'ACCESS_KEY',
                policies: c.expected.policies,
                pages: c.expected.memberships.map((m) => m.pages),
              },
              statements: '1',
            };
      // Alone: the one statement that found the pair, its user and the user's memberships.
      for (const c of cases) expect({ [c.name]: await viewerOnly(c.token) }).toEqual({ [c.name]: expected(c) });
      const requests = rounds(cases);
      const { result, seen, received } = await observingLookups(requests.length, hold, () =>
        Promise.all(requests.map((r) => viewerOnly(r.token))),
      );
      expect(received).toBe(requests.length);
      // In a burst too: each request counts the one statement that answered it, however many others it answered.
      expect(result.map((answer, i) => ({ [requests[i]?.name ?? i]: answer }))).toEqual(requests.map((r) => ({ [r.name]: expected(r) })));
      expect(new Set(seen.flat())).toEqual(new Set(requests.map((r) => r.id)));
      if (hold) expectShared(requests, seen);
    },
  );

  it('findAccessKeyWithUser: requests answered by one statement get equal pairs, users and memberships, never the same objects', async () => {
    const inactive = await createPair(a.token, aUserW2.id);
    await t.client.ok(SET_PAIR_STATUS, { id: inactive.id, s: 'INACTIVE' }, a.token);
    const unknownId = `LTAI${'1'.repeat(20)}`;
    const reads = { db: t.database.db, count: null };
    const lookups = spyOnPairLookups(true);
    let answers: Array<Awaited<ReturnType<typeof findAccessKeyWithUser>>>;
    try {
      // The first runs at once (held); the six after it wait and go together as one statement.
      const pending = [
        findAccessKeyWithUser(reads, pairs.aW1.id),
        findAccessKeyWithUser(reads, pairs.bW.id),
        findAccessKeyWithUser(reads, pairs.aBoth.id),
        findAccessKeyWithUser(reads, unknownId),
        findAccessKeyWithUser(reads, pairs.aBoth.id),
        findAccessKeyWithUser(reads, inactive.id),
        findAccessKeyWithUser(reads, pairs.aBoth.id),
      ];
      lookups.open();
      answers = await Promise.all(pending);
    } finally {
      lookups.restore();
    }
    expect(lookups.seen).toEqual([[pairs.aW1.id], [pairs.bW.id, pairs.aBoth.id, unknownId, inactive.id]]);

    type Found = NonNullable<(typeof answers)[number]>;
    const summary = (found: Found | null) =>
      found && {
        accessKey: {
          id: found.accessKey.id,
          account: found.accessKey.account_id,
          principal: found.accessKey.principal_id,
          status: found.accessKey.status,
        },
        user: { id: found.user.id, account: found.user.account_id, kind: found.user.kind, status: found.user.status },
        memberships: found.memberships.map((m) => ({ workspace: m.workspace_id, principal: m.principal_id, pages: m.pages })),
      };
    const [first, ofB, both, unknown, bothAgain, ofInactive, bothOnceMore] = answers;
    expect(summary(defined(first, 'the first pair'))).toEqual({
      accessKey: { id: pairs.aW1.id, account: a.accountId, principal: aUserW.id, status: 'ACTIVE' },
      user: { id: aUserW.id, account: a.accountId, kind: 'USER', status: 'ACTIVE' },
      memberships: [{ workspace: a.W, principal: aUserW.id, pages: ['API_KEY'] }],
    });
    expect(summary(defined(ofB, 'the pair of B'))).toEqual({
      accessKey: { id: pairs.bW.id, account: b.accountId, principal: bUserW.id, status: 'ACTIVE' },
      user: { id: bUserW.id, account: b.accountId, kind: 'USER', status: 'ACTIVE' },
      memberships: [{ workspace: b.W, principal: bUserW.id, pages: ['API_KEY', 'MODEL_EXPERIENCE'] }],
    });
    expect(unknown).toBeNull();
    // A pair found is answered whatever its status: authentication refuses an INACTIVE one.
    expect(summary(defined(ofInactive, 'the INACTIVE pair'))).toEqual({
      accessKey: { id: inactive.id, account: a.accountId, principal: aUserW2.id, status: 'INACTIVE' },
      user: { id: aUserW2.id, account: a.accountId, kind: 'USER', status: 'ACTIVE' },
      memberships: [{ workspace: aW2, principal: aUserW2.id, pages: ['MODEL_EXPERIENCE'] }],
    });
    const bothSummary = {
      accessKey: { id: pairs.aBoth.id, account: a.accountId, principal: aUserBoth.id, status: 'ACTIVE' },
      user: { id: aUserBoth.id, account: a.accountId, kind: 'USER', status: 'ACTIVE' },
      memberships: [
        { workspace: a.W, principal: aUserBoth.id, pages: ['MODEL_TUNING'] },
        { workspace: aW2, principal: aUserBoth.id, pages: ['API_KEY', 'MY_MODELS'] },
      ],
    };
    for (const copy of [both, bothAgain, bothOnceMore])
      expect(summary(defined(copy, 'a copy of the pair in W and W2'))).toEqual(bothSummary);

    // The pair, asked for by three requests of one statement: equal answers, no object in common.
    const copies = [both, bothAgain, bothOnceMore].map((found, i) => defined(found, `copy ${i} of the pair`));
    for (const [i, one] of copies.entries()) {
      for (const other of copies.slice(i + 1)) {
        expect(other).toEqual(one);
        expect(other.accessKey).not.toBe(one.accessKey);
        expect(other.accessKey.created_at).toBeInstanceOf(Date);
        expect(other.accessKey.created_at).not.toBe(one.accessKey.created_at);
        expect(other.user).not.toBe(one.user);
        expect(other.user.policies).not.toBe(one.user.policies);
        expect(other.user.created_at).not.toBe(one.user.created_at);
        expect(other.memberships).not.toBe(one.memberships);
        for (const [m, membership] of other.memberships.entries()) {
          expect(membership).not.toBe(one.memberships[m]);
          expect(membership.pages).not.toBe(one.memberships[m]?.pages);
          expect(membership.created_at).toBeInstanceOf(Date);
          expect(membership.created_at).not.toBe(one.memberships[m]?.created_at);
        }
      }
    }
  });
});
