import type { CompiledQuery } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { findCallers, type Caller } from '../../src/identity/identity.repository.js';
import { defined } from '../helpers/assertions.js';
import { PASSWORD, assumeRole, changeStatus, createRole, login, type TestRole, type TestUser } from '../helpers/fixtures.js';
import {
  createWorkspace,
  modelStudioAccount,
  modelStudioUser,
  registerUser,
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
import { uniqueName } from './support.js';

/**
 * Concurrent session requests read their principals (and a role session's assuming user) with one
 * statement (`findCallers` through src/db/coalesced-statements.ts): whatever statement answered
 * it, each request must act as its own principal, see its own account's workspaces only, and be
 * refused when its principal (or assuming user) was disabled or signed out before it came; and a
 * request never shares an object with another one answered by the same statement.
 */

// The statement count of each request (x-sql-statements).
const t = gatewayForThisFile({ exposeStatementCount: true });

const REVOKE_SESSIONS = `mutation($id: ID!) { revokeSessions(principalId: $id) { id } }`;
const CHANGE_PASSWORD = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { id } }`;
const NEW_PASSWORD = 'a brand new passphrase 1';

const whoAmI = (token: string) => whoAmIOf(t, token);

/** The principal IDs a session lookup statement asked for (findCallers's, identity.repository.ts), or null for any other statement. */
const sessionLookupIds = (query: CompiledQuery<unknown>) => boundList(query, ['principal.id = any(', '"memberships"']);
const spyOnSessionLookups = (hold: boolean) => spyOnLookups(t, sessionLookupIds, hold);
const observingLookups = <T>(requests: number, hold: boolean, burst: () => Promise<T>) =>
  observing(t, sessionLookupIds, requests, hold, burst);

/** A request to send: its session token, the principals its lookup asks for, and the answer it must get. */
interface Case {
  name: string;
  token: string;
  ids: string[];
  expected: Outcome;
}

/** The cases three times over, each round in another order, so that a session's neighbours differ. */
const rounds = <T>(cases: T[]): T[] => [0, 5, 11].flatMap((shift) => [...cases.slice(shift), ...cases.slice(0, shift)]);

describe('concurrent session lookups, one statement for several requests', () => {
  let a: ModelStudioAccount;
  let b: ModelStudioAccount;
  /** A second sub-workspace of account A. */
  let aW2: string;
  /** Members of A's W and W2; a super administrator of A (member of nothing); a member of B's W. */
  let aUser1: TestUser;
  let aUser2: TestUser;
  let aAdmin: TestUser;
  let bUser: TestUser;
  /** A's role (member of W2), trusted by aUser1 and aUser2; B's role (member of B's default workspace), trusted by bUser. */
  let aRole: TestRole;
  let bRole: TestRole;
  let aRoleBy1: string;
  let aRoleBy2: string;
  let bRoleByUser: string;

  /** A role of `account` trusted by `trusted`, registered in Model Studio and a member of `workspaceId` with `pages`. */
  async function memberRole(account: ModelStudioAccount, trusted: string[], workspaceId: string, pages: string[]) {
    const role = await createRole(t.client, account.token, trusted, uniqueName('role'));
    await registerUser(t.client, account.token, role.id);
    await setPages(t.client, account.token, workspaceId, role.id, pages);
    return role;
  }

  beforeAll(async () => {
    a = await modelStudioAccount(t.client);
    aW2 = await createWorkspace(t.client, a.token, 'W2');
    aUser1 = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });
    aUser2 = await modelStudioUser(t.client, a, { workspaceId: aW2, pages: ['MODEL_EXPERIENCE'] });
    aAdmin = await modelStudioUser(t.client, a, { policies: ['AliyunBailianFullAccess'] });
    aRole = await memberRole(a, [aUser1.id, aUser2.id], aW2, ['MY_MODELS']);
    aRoleBy1 = await assumeRole(t.client, aUser1.token, aRole.id);
    aRoleBy2 = await assumeRole(t.client, aUser2.token, aRole.id);

    b = await modelStudioAccount(t.client);
    bUser = await modelStudioUser(t.client, b, { workspaceId: b.W, pages: ['API_KEY', 'MODEL_EXPERIENCE'] });
    bRole = await memberRole(b, [bUser.id], b.D, ['BATCH_INFERENCE']);
    bRoleByUser = await assumeRole(t.client, bUser.token, bRole.id);
  });

  const session = (
    principal: string,
    workspaces: string[],
    more: { assumedBy?: string; policies?: string[]; memberships?: Array<{ workspace: string; pages: string[] }> } = {},
  ): Outcome => ({
    principal,
    credential: 'SESSION',
    assumedBy: more.assumedBy ?? null,
    policies: more.policies ?? [],
    memberships: more.memberships ?? [],
    workspaces,
  });

  /** The sessions that go on working: roots, RAM users and role sessions of both accounts. */
  function liveCases(): Case[] {
    return [
      { name: 'A root', token: a.token, ids: [a.rootId], expected: session(a.rootId, [a.D, a.W, aW2]) },
      {
        name: 'A user in W',
        token: aUser1.token,
        ids: [aUser1.id],
        expected: session(aUser1.id, [a.W], { memberships: [{ workspace: a.W, pages: ['API_KEY'] }] }),
      },
      {
        name: 'A user in W2',
        token: aUser2.token,
        ids: [aUser2.id],
        expected: session(aUser2.id, [aW2], { memberships: [{ workspace: aW2, pages: ['MODEL_EXPERIENCE'] }] }),
      },
      {
        name: 'A super administrator',
        token: aAdmin.token,
        ids: [aAdmin.id],
        expected: session(aAdmin.id, [a.D, a.W, aW2], { policies: ['AliyunBailianFullAccess'] }),
      },
      {
        name: 'A role assumed by the user in W',
        token: aRoleBy1,
        ids: [aRole.id, aUser1.id],
        expected: session(aRole.id, [aW2], { assumedBy: aUser1.id, memberships: [{ workspace: aW2, pages: ['MY_MODELS'] }] }),
      },
      {
        name: 'A role assumed by the user in W2',
        token: aRoleBy2,
        ids: [aRole.id, aUser2.id],
        expected: session(aRole.id, [aW2], { assumedBy: aUser2.id, memberships: [{ workspace: aW2, pages: ['MY_MODELS'] }] }),
      },
      { name: 'B root', token: b.token, ids: [b.rootId], expected: session(b.rootId, [b.D, b.W]) },
      {
        name: 'B user in W',
        token: bUser.token,
        ids: [bUser.id],
        expected: session(bUser.id, [b.W], { memberships: [{ workspace: b.W, pages: ['API_KEY', 'MODEL_EXPERIENCE'] }] }),
      },
      {
        name: 'B role assumed by its user',
        token: bRoleByUser,
        ids: [bRole.id, bUser.id],
        expected: session(bRole.id, [b.D], { assumedBy: bUser.id, memberships: [{ workspace: b.D, pages: ['BATCH_INFERENCE'] }] }),
      },
    ];
  }

  /**
   * Sessions of account A that worked a moment ago, ended since: a disabled user's and a role
   * session it assumed, a user's signed out everywhere and its role session, a user's other
   * session after it changed its password (and the changing session, which goes on).
   */
  async function endedJustBefore(): Promise<Case[]> {
    const disabled = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });
    const signedOut = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });
    const changer = await modelStudioUser(t.client, a, { workspaceId: aW2, pages: ['MODEL_TUNING'] });
    const role = await memberRole(a, [disabled.id, signedOut.id], a.W, ['MODEL_OBSERVATION']);
    const disabledRole = await assumeRole(t.client, disabled.token, role.id);
    const signedOutRole = await assumeRole(t.client, signedOut.token, role.id);
    const changing = await login(t.client, changer.loginName);
    const roleSession = (assumedBy: string) =>
      session(role.id, [a.W], { assumedBy, memberships: [{ workspace: a.W, pages: ['MODEL_OBSERVATION'] }] });
    const changerSession = session(changer.id, [aW2], { memberships: [{ workspace: aW2, pages: ['MODEL_TUNING'] }] });
    // Every one of them works before.
    expect((await whoAmI(disabled.token)).outcome).toMatchObject({ principal: disabled.id });
    expect((await whoAmI(signedOut.token)).outcome).toMatchObject({ principal: signedOut.id });
    expect((await whoAmI(disabledRole)).outcome).toEqual(roleSession(disabled.id));
    expect((await whoAmI(signedOutRole)).outcome).toEqual(roleSession(signedOut.id));
    expect((await whoAmI(changer.token)).outcome).toEqual(changerSession);
    expect((await whoAmI(changing)).outcome).toEqual(changerSession);

    await changeStatus(t.client, a.token, 'disableRamUser', disabled.id);
    await t.client.ok(REVOKE_SESSIONS, { id: signedOut.id }, a.token);
    await t.client.ok(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }, changing);
    return [
      { name: 'a user disabled just before', token: disabled.token, ids: [disabled.id], expected: UNAUTHENTICATED },
      {
        name: 'a role session whose user was disabled just before',
        token: disabledRole,
        ids: [role.id, disabled.id],
        expected: UNAUTHENTICATED,
      },
      { name: 'a user signed out everywhere just before', token: signedOut.token, ids: [signedOut.id], expected: UNAUTHENTICATED },
      {
        name: 'a role session whose user signed out everywhere just before',
        token: signedOutRole,
        ids: [role.id, signedOut.id],
        expected: UNAUTHENTICATED,
      },
      { name: 'a session ended by a password change', token: changer.token, ids: [changer.id], expected: UNAUTHENTICATED },
      { name: 'the session that changed the password', token: changing, ids: [changer.id], expected: changerSession },
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
    // A user session refused is one statement: its lookup, shared or not.
    for (const c of cases.filter((c) => c.ids.length === 1 && 'error' in c.expected))
      expect({ [c.name]: alone.get(c.name) }).toEqual({ [c.name]: '1' });

    const requests = rounds(cases);
    expect(requests.length).toBe(45);
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
    // The lookups asked for every request's principals, and for no other; never more than one statement per request.
    expect(new Set(seen.flat())).toEqual(new Set(requests.flatMap((r) => r.ids)));
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThanOrEqual(requests.length);
    for (const ids of seen) expect(new Set(ids).size).toBe(ids.length);
    return { requests, seen };
  }

  /** With the lookups held: the first statement answered one request, the later ones several at once. */
  function expectShared(requests: Case[], seen: string[][]) {
    const asked = requests.map((r) => r.ids);
    expect(asked).toContainEqual(seen[0]);
    // Fewer statements than requests, and one that asked for more principals than one request asks for (two at most).
    expect(seen.length).toBeLessThan(requests.length);
    expect(Math.max(...seen.map((ids) => ids.length))).toBeGreaterThan(2);
  }

  it('45 concurrent session requests (two accounts, roots, users, role sessions, ended ones) each act as their own principal', async () => {
    await burst([...liveCases(), ...(await endedJustBefore())], false);
  });

  it('the same while the first lookups are held: the others share statements, and each still acts as its own principal', async () => {
    const { requests, seen } = await burst([...liveCases(), ...(await endedJustBefore())], true);
    expectShared(requests, seen);
  });

  it.each([
    ['natural', false],
    ['held', true],
  ])('the same role session token 36 times in one burst (%s): every request acts as the role, assumed by its user', async (_, hold) => {
    const roleCase = defined(
      liveCases().find((c) => c.name === 'A role assumed by the user in W'),
      'the role session case',
    );
    // Every statement asked for the role and its user, once each.
    await expectOneCredentialBurst(t, sessionLookupIds, roleCase, [aRole.id, aUser1.id], hold);
  });

  it('findCallers: requests answered by one statement get equal principals and memberships, never the same objects', async () => {
    const reads = { db: t.database.db, count: null };
    const lookups = spyOnSessionLookups(true);
    let answers: Caller[][];
    try {
      // The first runs at once (held); the four after it wait and go together as one statement.
      const pending = [
        findCallers(reads, a.rootId, null),
        findCallers(reads, b.rootId, null),
        findCallers(reads, aRole.id, aUser1.id),
        findCallers(reads, aUser1.id, null),
        findCallers(reads, aUser1.id, null),
      ];
      lookups.open();
      answers = await Promise.all(pending);
    } finally {
      lookups.restore();
    }
    expect(lookups.seen).toEqual([[a.rootId], [b.rootId, aRole.id, aUser1.id]]);

    const summary = (callers: Caller[]) =>
      callers.map(({ principal, memberships }) => ({
        id: principal.id,
        account: principal.account_id,
        kind: principal.kind,
        status: principal.status,
        memberships: memberships.map((m) => ({ workspace: m.workspace_id, principal: m.principal_id, pages: m.pages })),
      }));
    const [rootA, rootB, roleAndUser, user, userAgain] = answers;
    expect(summary(defined(rootA, 'A root'))).toEqual([
      { id: a.rootId, account: a.accountId, kind: 'ROOT', status: 'ACTIVE', memberships: [] },
    ]);
    expect(summary(defined(rootB, 'B root'))).toEqual([
      { id: b.rootId, account: b.accountId, kind: 'ROOT', status: 'ACTIVE', memberships: [] },
    ]);
    const userSummary = {
      id: aUser1.id,
      account: a.accountId,
      kind: 'USER',
      status: 'ACTIVE',
      memberships: [{ workspace: a.W, principal: aUser1.id, pages: ['API_KEY'] }],
    };
    expect(summary(defined(roleAndUser, 'the role and its user'))).toEqual([
      {
        id: aRole.id,
        account: a.accountId,
        kind: 'ROLE',
        status: 'ACTIVE',
        memberships: [{ workspace: aW2, principal: aRole.id, pages: ['MY_MODELS'] }],
      },
      userSummary,
    ]);
    expect(summary(defined(user, 'the user'))).toEqual([userSummary]);
    expect(summary(defined(userAgain, 'the user again'))).toEqual([userSummary]);

    // The user, asked for by three requests of one statement: equal rows, no object in common.
    const copies = [roleAndUser?.[1], user?.[0], userAgain?.[0]].map((caller, i) => defined(caller, `copy ${i} of the user`));
    const [first, ...others] = copies as [Caller, Caller, Caller];
    for (const other of others) {
      expect(other).toEqual(first);
      expect(other.principal).not.toBe(first.principal);
      expect(other.principal.policies).not.toBe(first.principal.policies);
      expect(other.principal.created_at).not.toBe(first.principal.created_at);
      expect(other.memberships).not.toBe(first.memberships);
      expect(other.memberships[0]).not.toBe(first.memberships[0]);
      expect(other.memberships[0]?.pages).not.toBe(first.memberships[0]?.pages);
    }
    const [, second, third] = copies as [Caller, Caller, Caller];
    expect(third.principal.policies).not.toBe(second.principal.policies);
    expect(third.memberships[0]).not.toBe(second.memberships[0]);
  });
});
