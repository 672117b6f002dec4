import type { CompiledQuery } from 'kysely';
import { expect, vi } from 'vitest';
import { defined } from './assertions.js';
import type { TestGateway } from './test-gateway.js';

/**
 * Watching the lookups that concurrent requests share (src/db/coalesced-statements.ts): which
 * statements the database received, and, held at a gate, how the lookups made meanwhile go
 * together into the next ones. `recognize` picks a test's lookup statements out of the others
 * and says what to record of each.
 */

/**
 * Spies on the gateway's statements, recording what `recognize` makes of each lookup, in the
 * order the database received them. With `hold`, the lookups wait at a gate until `open` is
 * called (or 5 seconds passed): the first of a kind runs alone, and the lookups that come
 * meanwhile wait together for the next statements (each started after 20 ms of waiting, and
 * held too).
 */
export function spyOnLookups<Seen>(t: TestGateway, recognize: (query: CompiledQuery<unknown>) => Seen | null, hold: boolean) {
  const db = t.database.db;
  const execute = db.executeQuery.bind(db);
  const seen: Seen[] = [];
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  // Never held for long, whatever happens to the requests.
  const deadline = setTimeout(open, 5_000);
  const spy = vi.spyOn(db, 'executeQuery').mockImplementation((async (query: CompiledQuery<unknown>) => {
    const recognized = 'sql' in query ? recognize(query) : null;
    if (recognized !== null) {
      seen.push(recognized);
      if (hold) await gate;
    }
    return execute(query);
  }) as typeof db.executeQuery);
  return {
    seen,
    open: () => open(),
    restore() {
      spy.mockRestore();
      clearTimeout(deadline);
      open();
    },
  };
}

/**
 * Runs `burst` (which sends `requests` requests at once) and reports the lookups
 * (`spyOnLookups`); with `hold`, they are held until every request has come and a moment more.
 */
export async function observingLookups<Seen, T>(
  t: TestGateway,
  recognize: (query: CompiledQuery<unknown>) => Seen | null,
  requests: number,
  hold: boolean,
  burst: () => Promise<T>,
) {
  const lookups = spyOnLookups(t, recognize, hold);
  let received = 0;
  const onRequest = () => {
    received++;
    if (received === requests) setTimeout(lookups.open, 200);
  };
  t.gateway.server.on('request', onRequest);
  try {
    const result = await burst();
    return { result, seen: lookups.seen, received };
  } finally {
    lookups.restore();
    t.gateway.server.off('request', onRequest);
  }
}

/**
 * One credential presented 36 times in one burst: each request gets the answer it gets alone,
 * with as many statements, and every lookup asked for `askedFor`, once each. With `hold`, the
 * first lookup ran alone and the others waited for it and went together (as one statement when
 * all came within 20 ms, as a few more when not): fewer statements than requests.
 */
export async function expectOneCredentialBurst(
  t: TestGateway,
  recognize: (query: CompiledQuery<unknown>) => string[] | null,
  credential: { token: string; expected: Outcome },
  askedFor: readonly string[],
  hold: boolean,
) {
  const lone = await whoAmI(t, credential.token);
  expect(lone.outcome).toEqual(credential.expected);
  const requests = 36;
  const { result, seen, received } = await observingLookups(t, recognize, requests, hold, () =>
    Promise.all(Array.from({ length: requests }, () => whoAmI(t, credential.token))),
  );
  expect(received).toBe(requests);
  expect(result).toEqual(Array.from({ length: requests }, () => ({ outcome: credential.expected, statements: lone.statements })));
  for (const ids of seen) expect(ids).toEqual(askedFor);
  expect(seen.length).toBeGreaterThanOrEqual(hold ? 2 : 1);
  expect(seen.length).toBeLessThanOrEqual(hold ? requests - 1 : requests);
}

/** The one list a lookup statement binds (its keys), or null for a statement without all of `marks` in its text. */
export function boundList(query: CompiledQuery<unknown>, marks: readonly string[]): string[] | null {
  if (!marks.every((mark) => query.sql.includes(mark))) return null;
  const lists = query.parameters.filter((parameter): parameter is string[] => Array.isArray(parameter));
  if (lists.length !== 1) throw new Error(`a lookup statement binds one list, not ${lists.length}`);
  return [...(lists[0] ?? [])];
}

/** Who a request acted as, and what it saw: its principal, credential, assuming user, policies, memberships and workspaces. */
export const WHO_AM_I = `{
  viewer { principal { id } credential assumedBy { id } policies memberships { workspace { id } pages } }
  workspaces(first: 50) { edges { node { id } } }
}`;

/** What a WHO_AM_I request came to, or the code of its error. */
export type Outcome =
  | {
      principal: string;
      credential: string;
      assumedBy: string | null;
      policies: string[];
      memberships: Array<{ workspace: string; pages: string[] }>;
      workspaces: string[];
    }
  | { error: string };

export interface Answered {
  outcome: Outcome;
  statements: string | null;
}

interface WhoAmIData {
  viewer: {
    principal: { id: string };
    credential: string;
    assumedBy: { id: string } | null;
    policies: string[];
    memberships: Array<{ workspace: { id: string }; pages: string[] }>;
  };
  workspaces: { edges: Array<{ node: { id: string } }> };
}

/** Sends WHO_AM_I signed by `token`, as a client would, with the request's statement count (x-sql-statements). */
export async function whoAmI(t: TestGateway, token: string): Promise<Answered> {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: WHO_AM_I }),
  });
  const body = (await response.json()) as { data?: WhoAmIData | null; errors?: Array<{ extensions?: { code?: string } }> };
  const statements = response.headers.get('x-sql-statements');
  const error = body.errors?.[0];
  if (error) return { outcome: { error: error.extensions?.code ?? 'NO CODE' }, statements };
  const data = defined(body.data, 'the viewer answer');
  return {
    outcome: {
      principal: data.viewer.principal.id,
      credential: data.viewer.credential,
      assumedBy: data.viewer.assumedBy?.id ?? null,
      policies: data.viewer.policies,
      memberships: data.viewer.memberships.map((m) => ({ workspace: m.workspace.id, pages: m.pages })),
      workspaces: data.workspaces.edges.map((e) => e.node.id),
    },
    statements,
  };
}

export const UNAUTHENTICATED: Outcome = { error: 'UNAUTHENTICATED' };
