import { beforeAll, describe, expect, it } from 'vitest';
import { createRole, signUp, type TestAccount, type TestUser } from '../helpers/fixtures.js';
import type { GraphQLClient } from '../helpers/graphql-client.js';
import {
  activateRegion,
  authorizeModel,
  createWorkspace,
  expectError,
  modelStudioUser,
  setPages,
  uniqueName,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { setRateLimit } from '../usage/support.js';

/**
 * Relay pagination (issue #14): `first`/`after` forward, `last`/`before` backward, PageInfo's
 * flags as its description states them, `totalCount` where counting is cheap (counted only when
 * selected, filtered like the list), on every kind of keyset the repositories use.
 */
const t = gatewayForThisFile({ exposeStatementCount: true });

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Page {
  edges: Array<{ cursor: string; node: unknown }>;
  pageInfo: PageInfo;
  totalCount?: number;
}
interface PageArgs {
  first?: number;
  after?: string | null;
  last?: number;
  before?: string | null;
}

const PAGE_ARGS = '$first: Int, $after: String, $last: Int, $before: String';
const PAGE = 'first: $first, after: $after, last: $last, before: $before';
const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

/** One connection field, as a caller pages through it. */
interface Listing {
  name: string;
  /** The query, taking the page variables (PAGE_ARGS) and `$w`. */
  query: string;
  connection: (data: never) => Page;
  key: (node: never) => string;
  token: () => string;
  /** A page size that leaves a partial last page. */
  size: number;
  /** The list has `totalCount`. */
  counted: boolean;
}

let root: TestAccount;
let W: string;
/** A member of W (and of one other workspace) with no page permission: it lists its own API keys only. */
let carol: TestUser;
let carolKeys: string[];
let allKeys: string[];
let memberIds: string[];
const ROLES = 3;

const listings = (): Listing[] => [
  {
    name: 'workspaces',
    query: `query(${PAGE_ARGS}) { workspaces(${PAGE}) { edges { cursor node { id } } ${PAGE_INFO} totalCount } }`,
    connection: (data: { workspaces: Page }) => data.workspaces,
    key: (node: { id: string }) => node.id,
    token: () => root.token,
    size: 4,
    counted: true,
  },
  {
    name: 'members',
    query: `query(${PAGE_ARGS}, $w: ID!) { workspace(id: $w) { members(${PAGE}) { edges { cursor node { principal { id } } } ${PAGE_INFO} totalCount } } }`,
    connection: (data: { workspace: { members: Page } }) => data.workspace.members,
    key: (node: { principal: { id: string } }) => node.principal.id,
    token: () => root.token,
    size: 2,
    counted: true,
  },
  {
    name: 'API keys',
    query: `query(${PAGE_ARGS}, $w: ID!) { workspace(id: $w) { apiKeys(${PAGE}) { edges { cursor node { id } } ${PAGE_INFO} totalCount } } }`,
    connection: (data: { workspace: { apiKeys: Page } }) => data.workspace.apiKeys,
    key: (node: { id: string }) => node.id,
    token: () => root.token,
    size: 2,
    counted: true,
  },
  {
    name: 'RAM users',
    query: `query(${PAGE_ARGS}) { account { ramUsers(${PAGE}) { edges { cursor node { id } } ${PAGE_INFO} totalCount } } }`,
    connection: (data: { account: { ramUsers: Page } }) => data.account.ramUsers,
    key: (node: { id: string }) => node.id,
    token: () => root.token,
    size: 2,
    counted: true,
  },
  {
    name: 'model authorizations (a one-column keyset)',
    query: `query(${PAGE_ARGS}, $w: ID!) { workspace(id: $w) { modelAuthorizations(${PAGE}) { edges { cursor node { model { id } } } ${PAGE_INFO} } } }`,
    connection: (data: { workspace: { modelAuthorizations: Page } }) => data.workspace.modelAuthorizations,
    key: (node: { model: { id: string } }) => node.model.id,
    token: () => root.token,
    size: 2,
    counted: false,
  },
  {
    name: 'rate limits (a one-column keyset, models joined)',
    query: `query(${PAGE_ARGS}, $w: ID!) { workspace(id: $w) { rateLimits(${PAGE}) { edges { cursor node { requestLimit model { id } } } ${PAGE_INFO} } } }`,
    connection: (data: { workspace: { rateLimits: Page } }) => data.workspace.rateLimits,
    key: (node: { model: { id: string } }) => node.model.id,
    token: () => root.token,
    size: 2,
    counted: false,
  },
  {
    name: 'audit events (newest first)',
    query: `query(${PAGE_ARGS}) { auditEvents(${PAGE}) { edges { cursor node { id } } ${PAGE_INFO} } }`,
    connection: (data: { auditEvents: Page }) => data.auditEvents,
    key: (node: { id: string }) => node.id,
    token: () => root.token,
    size: 7,
    counted: false,
  },
];

async function fetchPage(listing: Listing, args: PageArgs, token = listing.token()): Promise<Page> {
  const data = await t.client.ok<never>(listing.query, { ...args, w: W }, token);
  return listing.connection(data);
}

const keysOf = (listing: Listing, page: Page) => page.edges.map((edge) => listing.key(edge.node as never));

/** Every page, walking forward with first/after or backward with last/before. */
async function walk(listing: Listing, direction: 'forward' | 'backward'): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: Page =
      direction === 'forward'
        ? await fetchPage(listing, { first: listing.size, after: cursor })
        : await fetchPage(listing, { last: listing.size, before: cursor });
    pages.push(page);
    expect(pages.length).toBeLessThan(100);
    if (direction === 'forward' ? !page.pageInfo.hasNextPage : !page.pageInfo.hasPreviousPage) return pages;
    cursor = direction === 'forward' ? page.pageInfo.endCursor : page.pageInfo.startCursor;
  }
}

/** A query of W with `selection` beside its ID. */
const oneWorkspace = (selection: string) => `query($w: ID!) { workspace(id: $w) { id ${selection} } }`;

const sorted = (ids: readonly string[]) => [...ids].sort((a, b) => a.localeCompare(b));

async function statementsFor(query: string, variables: Record<string, unknown>, token: string): Promise<number> {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown };
  expect(body.errors).toBeUndefined();
  return Number(response.headers.get('x-sql-statements'));
}

async function createKeyFor(client: GraphQLClient, token: string, workspaceId: string, ownerId?: string): Promise<string> {
  const data = await client.ok<{ createApiKey: { apiKey: { id: string } } }>(
    `mutation($w: ID!, $o: ID) { createApiKey(input: { workspaceId: $w, ownerId: $o }) { apiKey { id } } }`,
    { w: workspaceId, o: ownerId ?? null },
    token,
  );
  return data.createApiKey.apiKey.id;
}

beforeAll(async () => {
  root = await signUp(t.client, uniqueName('pages'));
  await activateRegion(t.client, root.token);
  W = await createWorkspace(t.client, root.token, 'W');
  const other = await createWorkspace(t.client, root.token, 'other');
  for (let i = 0; i < 3; i++) await createWorkspace(t.client, root.token, `more-${i}`);
  // Five members of W: four with API_KEY, carol with nothing once her keys exist.
  const members: TestUser[] = [];
  for (let i = 0; i < 4; i++) members.push(await modelStudioUser(t.client, root, { workspaceId: W, pages: ['API_KEY'] }));
  carol = await modelStudioUser(t.client, root, { workspaceId: W, pages: ['API_KEY'], name: uniqueName('carol') });
  await setPages(t.client, root.token, other, carol.id, []);
  memberIds = [...members.map((m) => m.id), carol.id];
  // Keys: three of the root's, two of carol's (made by the root for her).
  allKeys = [];
  for (let i = 0; i < 3; i++) allKeys.push(await createKeyFor(t.client, root.token, W));
  carolKeys = [await createKeyFor(t.client, root.token, W, carol.id), await createKeyFor(t.client, root.token, W, carol.id)];
  allKeys.push(...carolKeys);
  await setPages(t.client, root.token, W, carol.id, []);
  for (let i = 0; i < ROLES; i++) await createRole(t.client, root.token);
  for (const model of ['qwen-max', 'qwen-plus', 'qwen-turbo']) await authorizeModel(t.client, root.token, W, model);
  for (const [i, model] of ['qwen-max', 'qwen-plus', 'qwen-turbo'].entries()) {
    await setRateLimit(t.client, root.token, W, model, { requestLimit: 10 + i, requestLimitPeriodSeconds: 60 });
  }
}, 120_000);

describe('walking forward with first/after and backward with last/before yields the same list in opposite orders', () => {
  it.each(listings().map((listing) => [listing.name, listing] as const))('%s', async (_name, listing) => {
    const forward = await walk(listing, 'forward');
    const backward = await walk(listing, 'backward');
    const forwardKeys = forward.flatMap((page) => keysOf(listing, page));
    // Each backward page is in the list's order; the walk visits the list from its end.
    const visitedBackward = backward.flatMap((page) => keysOf(listing, page).reverse());
    expect(forwardKeys.length).toBeGreaterThan(listing.size);
    expect(new Set(forwardKeys).size).toBe(forwardKeys.length);
    expect(visitedBackward).toEqual([...forwardKeys].reverse());
    expect(forward.length).toBe(Math.ceil(forwardKeys.length / listing.size));
    expect(backward.length).toBe(forward.length);

    // The flag in the direction of reading is exact; the other says whether a cursor was given.
    forward.forEach((page, i) => {
      expect(page.edges.length).toBe(i < forward.length - 1 ? listing.size : forwardKeys.length - listing.size * i);
      expect(page.pageInfo.hasNextPage).toBe(i < forward.length - 1);
      expect(page.pageInfo.hasPreviousPage).toBe(i > 0);
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    });
    backward.forEach((page, i) => {
      expect(page.pageInfo.hasPreviousPage).toBe(i < backward.length - 1);
      expect(page.pageInfo.hasNextPage).toBe(i > 0);
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    });
    if (listing.counted) {
      for (const page of [...forward, ...backward]) expect(page.totalCount).toBe(forwardKeys.length);
    }
  });

  it.each(listings().map((listing) => [listing.name, listing] as const))('%s: cursors work in both directions', async (_name, listing) => {
    const [first, second] = await walk(listing, 'forward');
    if (!first || !second) throw new Error('two pages expected');
    // Back from the second page's start: the first page again.
    const back = await fetchPage(listing, { last: listing.size, before: second.pageInfo.startCursor });
    expect(keysOf(listing, back)).toEqual(keysOf(listing, first));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    // Between two cursors: what lies strictly between them.
    const firstCursor = first.edges[0]?.cursor;
    const lastCursor = second.edges.at(-1)?.cursor;
    const between = await fetchPage(listing, { first: 100, after: firstCursor, before: lastCursor });
    const expected = [...keysOf(listing, first), ...keysOf(listing, second)].slice(1, -1);
    expect(keysOf(listing, between)).toEqual(expected);
    const betweenBackward = await fetchPage(listing, { last: 100, after: firstCursor, before: lastCursor });
    expect(keysOf(listing, betweenBackward)).toEqual(expected);
    // An empty page still answers its flags.
    const none = await fetchPage(listing, { last: 0 });
    expect(none.edges).toEqual([]);
    expect(none.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false, startCursor: null, endCursor: null });
  });
});

describe('page arguments', () => {
  it.each(listings().map((listing) => [listing.name, listing] as const))(
    '%s: first and last together are refused, naming last',
    async (_name, listing) => {
      const result = await t.client.request(listing.query, { first: 1, last: 1, w: W }, { token: listing.token() });
      expectError(result, 'BAD_USER_INPUT', 'last');
      expect(result.data).toBeDefined();
    },
  );

  it.each([
    ['last over 100', { last: 101 }, 'last'],
    ['a negative last', { last: -1 }, 'last'],
    ['a forged before', { last: 1, before: 'bm90LWEtY3Vyc29y' }, 'before'],
    [
      'a before with a forged timestamp',
      { last: 1, before: Buffer.from(JSON.stringify(['yesterday', 'usr_x'])).toString('base64url') },
      'before',
    ],
  ])('%s is refused, naming %s', async (_name, args, field) => {
    const result = await t.client.request(`query(${PAGE_ARGS}) { account { ramUsers(${PAGE}) { edges { cursor } totalCount } } }`, args, {
      token: root.token,
    });
    expectError(result, 'BAD_USER_INPUT', field);
  });

  it('an audit cursor that names no event of this trail is refused as before, and gives an empty page when well formed', async () => {
    const audit = listings().find((listing) => listing.name.startsWith('audit'));
    if (!audit) throw new Error('no audit listing');
    const forged = Buffer.from(JSON.stringify(['', 'not-an-event'])).toString('base64url');
    expectError(await t.client.request(audit.query, { last: 1, before: forged }, { token: root.token }), 'BAD_USER_INPUT', 'before');
    const elsewhere = Buffer.from(JSON.stringify(['', '0'.repeat(32)])).toString('base64url');
    const page = await fetchPage(audit, { last: 5, before: elsewhere });
    expect(page.edges).toEqual([]);
  });

  it('neither first nor last: the first 20, forward', async () => {
    const audit = listings().find((listing) => listing.name.startsWith('audit'));
    if (!audit) throw new Error('no audit listing');
    const page = await fetchPage(audit, {});
    expect(page.edges.length).toBe(20);
    expect(page.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
  });
});

describe('totalCount', () => {
  const WORKSPACES = `query($r: Region) { workspaces(region: $r, first: 1) { edges { node { id } } totalCount } }`;
  const KEYS = `query($w: ID!) { workspace(id: $w) { apiKeys(first: 100) { edges { node { id owner { id } } } totalCount } } }`;

  it('counts what the list holds: workspaces (by region too), members, RAM users and roles', async () => {
    const all = await t.client.ok<{ workspaces: Page }>(WORKSPACES, {}, root.token);
    expect(all.workspaces.totalCount).toBe(6);
    expect((await t.client.ok<{ workspaces: Page }>(WORKSPACES, { r: 'CN_BEIJING' }, root.token)).workspaces.totalCount).toBe(6);
    expect((await t.client.ok<{ workspaces: Page }>(WORKSPACES, { r: 'US_EAST_1' }, root.token)).workspaces.totalCount).toBe(0);
    const data = await t.client.ok<{ workspace: { members: Page } }>(
      `query($w: ID!) { workspace(id: $w) { members(last: 1) { edges { node { pages } } totalCount } } }`,
      { w: W },
      root.token,
    );
    expect(data.workspace.members.totalCount).toBe(memberIds.length);
    const account = await t.client.ok<{ account: { ramUsers: Page; ramRoles: Page } }>(
      `{ account { ramUsers(first: 0) { totalCount } ramRoles(last: 0) { totalCount } } }`,
      {},
      root.token,
    );
    expect(account.account.ramUsers.totalCount).toBe(memberIds.length);
    expect(account.account.ramRoles.totalCount).toBe(ROLES);
  });

  it('counts what an OWN-scope caller sees: its own API keys and the workspaces it is a member of', async () => {
    const byRoot = await t.client.ok<{ workspace: { apiKeys: Page } }>(KEYS, { w: W }, root.token);
    expect(byRoot.workspace.apiKeys.totalCount).toBe(allKeys.length);
    expect(sorted(byRoot.workspace.apiKeys.edges.map((edge) => (edge.node as { id: string }).id))).toEqual(sorted(allKeys));

    const byCarol = await t.client.ok<{ workspace: { apiKeys: Page } }>(KEYS, { w: W }, carol.token);
    expect(byCarol.workspace.apiKeys.totalCount).toBe(carolKeys.length);
    expect(sorted(byCarol.workspace.apiKeys.edges.map((edge) => (edge.node as { id: string }).id))).toEqual(sorted(carolKeys));

    const carolsWorkspaces = await t.client.ok<{ workspaces: Page }>(WORKSPACES, {}, carol.token);
    expect(carolsWorkspaces.workspaces.totalCount).toBe(2);
  });

  it('follows keys made and deleted: the counter it reads agrees with the list', async () => {
    const made = await createKeyFor(t.client, root.token, W);
    const withIt = await t.client.ok<{ workspace: { apiKeys: Page } }>(KEYS, { w: W }, root.token);
    expect(withIt.workspace.apiKeys.totalCount).toBe(allKeys.length + 1);
    expect(withIt.workspace.apiKeys.edges.length).toBe(allKeys.length + 1);
    await t.client.ok(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: made }, root.token);
    const without = await t.client.ok<{ workspace: { apiKeys: Page } }>(KEYS, { w: W }, root.token);
    expect(without.workspace.apiKeys.totalCount).toBe(allKeys.length);
    expect(without.workspace.apiKeys.edges.length).toBe(allKeys.length);
  });

  it('is read through fragments, and only when selected', async () => {
    const data = await t.client.ok<{ workspace: { a: Page; b: Page } }>(
      `query($w: ID!, $skip: Boolean!) { workspace(id: $w) {
        a: members(first: 1) { ...Counted }
        b: members(first: 1) { ... on MembershipConnection { totalCount edges @skip(if: $skip) { cursor } } }
      } }
      fragment Counted on MembershipConnection { totalCount }`,
      { w: W, skip: true },
      root.token,
    );
    expect(data.workspace.a).toEqual({ totalCount: memberIds.length });
    expect(data.workspace.b).toEqual({ totalCount: memberIds.length });
  });
});

describe('statements', () => {
  it('the count and the rows are each one statement, read only when selected', async () => {
    const bare = await statementsFor(oneWorkspace(''), { w: W }, root.token);
    expect(await statementsFor(oneWorkspace('members { totalCount }'), { w: W }, root.token)).toBe(bare + 1);
    expect(await statementsFor(oneWorkspace('members(first: 2) { edges { cursor } }'), { w: W }, root.token)).toBe(bare + 1);
    expect(await statementsFor(oneWorkspace('members(last: 2) { pageInfo { hasPreviousPage } }'), { w: W }, root.token)).toBe(bare + 1);
    expect(await statementsFor(oneWorkspace('members(first: 2) { edges { cursor } totalCount }'), { w: W }, root.token)).toBe(bare + 2);
    // A full key list's count is its workspace's counter: no statement.
    expect(await statementsFor(oneWorkspace('apiKeys { totalCount }'), { w: W }, root.token)).toBe(
      await statementsFor(oneWorkspace('apiKeys { __typename }'), { w: W }, root.token),
    );
  });

  it('totalCount over a list of workspaces costs the same for 2 and for 6 workspaces, for a full and an OWN-scope caller', async () => {
    const owner = await signUp(t.client, uniqueName('counts'));
    const first = await activateRegion(t.client, owner.token);
    const second = await createWorkspace(t.client, owner.token, 'second');
    const dave = await modelStudioUser(t.client, owner, { workspaceId: second, pages: ['API_KEY'] });
    await setPages(t.client, owner.token, first, dave.id, []);
    await createKeyFor(t.client, owner.token, second, dave.id);
    await createKeyFor(t.client, owner.token, second);
    await setPages(t.client, owner.token, second, dave.id, []);

    const COUNTS = `{ workspaces(first: 100) { edges { node { id members { totalCount } apiKeys { totalCount } } } totalCount } }`;
    const KEY_COUNTS = `{ workspaces(first: 100) { edges { node { id apiKeys { totalCount } } } totalCount } }`;
    const before = { root: await statementsFor(COUNTS, {}, owner.token), dave: await statementsFor(KEY_COUNTS, {}, dave.token) };
    const daveCounts = await t.client.ok<{ workspaces: { edges: Array<{ node: { id: string; apiKeys: Page } }>; totalCount: number } }>(
      KEY_COUNTS,
      {},
      dave.token,
    );
    expect(daveCounts.workspaces.totalCount).toBe(2);
    expect(Object.fromEntries(daveCounts.workspaces.edges.map((edge) => [edge.node.id, edge.node.apiKeys.totalCount]))).toEqual({
      [first]: 0,
      [second]: 1,
    });

    for (let i = 0; i < 4; i++) {
      const w = await createWorkspace(t.client, owner.token, `w-${i}`);
      await setPages(t.client, owner.token, w, dave.id, []);
    }
    const after = { root: await statementsFor(COUNTS, {}, owner.token), dave: await statementsFor(KEY_COUNTS, {}, dave.token) };
    expect(after).toEqual(before);
    const counted = await t.client.ok<{ workspaces: { edges: Array<{ node: { members: Page } }>; totalCount: number } }>(
      COUNTS,
      {},
      owner.token,
    );
    expect(counted.workspaces.totalCount).toBe(6);
    expect(counted.workspaces.edges.map((edge) => edge.node.members.totalCount)).toEqual([1, 1, 1, 1, 1, 1]);
  }, 60_000);
});
