import { get as httpGet, type IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { attachPolicy, createUser, signUp, type TestAccount } from '../helpers/fixtures.js';
import {
  CREATE_WORKSPACE,
  createKey,
  createKnowledgeBase,
  modelStudioAccount,
  uniqueName,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

/** `GET /audit/export` (src/http/audit-export-route.ts): the trail as NDJSON, authorized as `auditEvents`. */

// A collector for the heap's baseline and the retained samples: `gc()` without --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The export's log lines ('audit export' once per export), to see where an export stopped. */
const logLines: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString('utf8')) as Record<string, unknown>;
      if (line.msg === 'audit export') logLines.push(line);
      done();
    },
  }),
);

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({}, { logger });
});
afterAll(async () => {
  await t?.close();
});

const exportUrl = (params: Record<string, string> = {}) => {
  const url = new URL('/audit/export', t.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
};

const get = (params: Record<string, string>, token?: string, init: RequestInit = {}) =>
  fetch(exportUrl(params), { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}) } });

interface ExportedEvent {
  id: string;
  action: string;
  actorId: string | null;
  onBehalfOfId: string | null;
  via: string;
  resourceId: string | null;
  outcome: string;
  reason: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: Array<{ field: string; before: string | null; after: string | null }>;
  createdAt: string;
  cursor: string;
}

/** The whole body as lines (small exports only). */
async function exported(params: Record<string, string>, token: string): Promise<ExportedEvent[]> {
  const response = await get(params, token);
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ExportedEvent);
}

const EVENTS = `query($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    edges { cursor node {
      id action actorId onBehalfOfId via resourceId outcome reason sourceIp userAgent requestId createdAt
      changes { field before after }
    } }
  }
}`;

async function graphqlEvents(filter: Record<string, string>, token: string) {
  type Edge = { cursor: string; node: Omit<ExportedEvent, 'cursor'> };
  const data = await t.client.ok<{ auditEvents: { edges: Edge[] } }>(EVENTS, { first: 100, filter }, token);
  return data.auditEvents.edges.map((edge) => ({ ...edge.node, cursor: edge.cursor }));
}

describe('the audit export', () => {
  let account: ModelStudioAccount;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    for (let i = 0; i < 5; i++) await createKnowledgeBase(t.client, account.token, account.W, uniqueName(`export${i}`));
  });

  describe('authorization: that of auditEvents', () => {
    it('anonymous: 401 with a JSON error', async () => {
      const response = await get({});
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }] });
    });

    it('a token that is no credential: 401', async () => {
      expect((await get({}, 'not-a-session-token')).status).toBe(401);
      expect((await get({}, `sk-${'a'.repeat(43)}`)).status).toBe(401);
    });

    it('a RAM user without read_audit: 403 with a JSON error, and no event in the body', async () => {
      const user = await createUser(t.client, account.token);
      const response = await get({}, user.token);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]?.extensions.code).toBe('FORBIDDEN');
    });

    it('an API key, even the root’s: 403 (the management layer is never reached with a key)', async () => {
      const key = await createKey(t.client, account.token, account.W);
      expect((await get({}, key.secret)).status).toBe(403);
    });

    it('the root, and a RAM user holding a management reader policy: 200 NDJSON', async () => {
      const response = await get({}, account.token);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-store');
      await response.body?.cancel();
      const reader = await createUser(t.client, account.token);
      await attachPolicy(t.client, account.token, reader.id, 'AliyunBailianReadOnlyAccess');
      expect((await exported({}, reader.token)).length).toBeGreaterThan(5);
    });

    it('another account’s trail is never in the export', async () => {
      const other: TestAccount = await signUp(t.client, uniqueName('other'));
      const lines = await exported({}, other.token);
      expect(lines.map((line) => line.action)).toEqual(['signUp']);
      expect(lines.every((line) => line.actorId === other.rootId)).toBe(true);
    });
  });

  describe('content and filters', () => {
    it('each line is the GraphQL AuditEvent (same fields and values) with its edge cursor, newest first', async () => {
      const viaGraphql = await graphqlEvents({}, account.token);
      const viaExport = await exported({}, account.token);
      expect(viaExport.length).toBeGreaterThanOrEqual(viaGraphql.length);
      expect(viaExport.slice(0, viaGraphql.length)).toEqual(viaGraphql);
      expect(viaExport[0]?.id).toMatch(/^aud_[0-9a-f]{32}$/);
    });

    it('after: a cursor resumes right after its event', async () => {
      const all = await exported({}, account.token);
      const third = defined(all[2], 'the third line');
      expect(await exported({ after: third.cursor }, account.token)).toEqual(all.slice(3));
    });

    it('action, actorId, resourceId, outcome, since and until narrow it as they narrow auditEvents', async () => {
      const user = await createUser(t.client, account.token);
      await t.client.request(CREATE_WORKSPACE, { n: 'denied', r: 'CN_BEIJING' }, { token: user.token });
      const kbs = await exported({ action: 'createKnowledgeBase' }, account.token);
      expect(kbs.length).toBe(5);
      const [newest, , middle, , oldest] = kbs.map((line, i) => defined(line, `line ${i}`));
      const filters: Array<Record<string, string>> = [
        { action: 'createKnowledgeBase' },
        { actorId: user.id },
        { outcome: 'DENIED' },
        { resourceId: defined(middle, 'middle').resourceId ?? '' },
        { action: 'createKnowledgeBase', since: defined(middle, 'middle').createdAt },
        { action: 'createKnowledgeBase', until: defined(middle, 'middle').createdAt },
        { since: defined(oldest, 'oldest').createdAt, until: defined(newest, 'newest').createdAt, outcome: 'SUCCESS' },
      ];
      for (const filter of filters) {
        const lines = await exported(filter, account.token);
        expect(lines.length, JSON.stringify(filter)).toBeGreaterThan(0);
        expect(lines, JSON.stringify(filter)).toEqual(await graphqlEvents(filter, account.token));
      }
      expect((await exported({ outcome: 'DENIED' }, account.token)).every((line) => line.outcome === 'DENIED')).toBe(true);
    });

    it.each([
      ['an unknown parameter (a misspelt filter must not export everything)', { actor: 'x' }, 'actor'],
      ['an unknown outcome', { outcome: 'MAYBE' }, 'outcome'],
      ['a since that is no instant', { since: 'yesterday' }, 'since'],
      ['a since past the year 9999', { since: '+275000-01-01T00:00:00Z' }, 'since'],
      ['until before since', { since: '2026-12-06T12:00:00Z', until: '2026-12-06T11:00:00Z' }, 'until'],
      ['an action over 128 characters', { action: 'a'.repeat(129) }, 'action'],
      ['a text PostgreSQL cannot store', { action: 'a\u0000b' }, 'action'],
      ['a forged cursor', { after: 'not-a-cursor' }, 'after'],
    ])('%s: 400 BAD_USER_INPUT naming it', async (_case, params, field) => {
      const response = await get(params, account.token);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string; field: string } }> };
      expect(body.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    });

    it('a repeated parameter: 400', async () => {
      const response = await fetch(`${exportUrl()}?action=a&action=b`, { headers: { authorization: `Bearer ${account.token}` } });
      expect(response.status).toBe(400);
    });

    it('a POST: 405', async () => {
      const response = await fetch(exportUrl(), { method: 'POST', headers: { authorization: `Bearer ${account.token}` } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    });
  });

  describe('a long trail streams in constant memory', () => {
    // 100,000 events on both databases: PostgreSQL inserts them in ~3 s and PGlite in ~10-15 s; each streams them in a few seconds.
    const TOTAL = 100_000;
    const USER_AGENT = `bulk-client/1.0 ${'x'.repeat(230)}`;
    let bulk: TestAccount;

    beforeAll(async () => {
      bulk = await signUp(t.client, uniqueName('bulk'));
      // One statement: the append-only trigger forbids UPDATE and DELETE, not INSERT.
      await sql`
        insert into audit_event (account_id, actor_id, via, action, resource_id, outcome, reason, source_ip, request_id, user_agent, changes)
        select ${bulk.accountId}, ${bulk.rootId}, 'SESSION', 'bulkChange', 'kb_' || lpad(g::text, 20, '0'), 'SUCCESS', null,
               '10.1.2.3', gen_random_uuid()::text, ${USER_AGENT},
               jsonb_build_array(jsonb_build_object('field', 'name', 'before', null, 'after', 'n' || g))
        from generate_series(1, ${TOTAL}) as g
        order by g`.execute(t.database.db);
      // As autovacuum would after a load this size: with the statistics of an almost empty table, the
      // planner would sort what is left of the trail for every page instead of reading the index in order.
      await sql`analyze audit_event`.execute(t.database.db);
    }, 120_000);

    const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

    it(`${TOTAL.toLocaleString('en')} events, counted line by line as they arrive: heap flat on both sides (one process)`, async () => {
      gc();
      const baseline = process.memoryUsage().heapUsed;
      const samples: number[] = [];
      const timer = setInterval(() => samples.push(process.memoryUsage().heapUsed), 50);
      /** After a collection, at each quarter of the stream: what the export (and the client) really hold. */
      const retained: number[] = [];
      const started = Date.now();
      let lines = 0;
      let bytes = 0;
      let expected = TOTAL;
      try {
        // A connection of its own (node:http, no keep-alive pool): the insert above held the event loop for a while.
        const response = await new Promise<IncomingMessage>((resolve, reject) => {
          const headers = { authorization: `Bearer ${bulk.token}` };
          httpGet(exportUrl({ action: 'bulkChange' }), { agent: false, headers }, resolve).on('error', reject);
        });
        expect(response.statusCode).toBe(200);
        response.setEncoding('utf8');
        let partial = '';
        for await (const chunk of response) {
          const value = chunk as string;
          bytes += value.length;
          samples.push(process.memoryUsage().heapUsed);
          const parts = (partial + value).split('\n');
          partial = parts.pop() ?? '';
          for (const part of parts) {
            const event = JSON.parse(part) as ExportedEvent;
            // Newest first, every event once: n100000 … n1.
            if (event.changes[0]?.after !== `"n${expected}"`) throw new Error(`line ${lines}: ${part.slice(0, 300)}`);
            expected--;
            lines++;
            if (lines % (TOTAL / 4) === 0) {
              gc();
              retained.push(process.memoryUsage().heapUsed);
            }
          }
        }
        expect(partial).toBe('');
      } finally {
        clearInterval(timer);
      }
      const seconds = (Date.now() - started) / 1000;
      const peak = Math.max(...samples, baseline) - baseline;
      const report = {
        database: testDatabaseKind(),
        events: lines,
        seconds,
        streamedMB: mb(bytes),
        baselineMB: mb(baseline),
        peakGrowthMB: mb(peak),
        retainedGrowthMB: retained.map((value) => mb(value - baseline)),
        samples: samples.length,
      };
      console.info('audit export memory', JSON.stringify(report));
      expect(lines).toBe(TOTAL);
      expect(samples.length).toBeGreaterThan(5);
      // Buffering the export would hold at least its text (bytes); it never comes near.
      expect(bytes).toBeGreaterThan(60 * 1024 * 1024);
      // The samples count garbage V8 has not collected yet (it collects the old generation lazily, at
      // about twice what survived the last collection): ~50 MB here, whatever the export's length.
      expect(peak).toBeLessThan(64 * 1024 * 1024);
      // What stays after a collection (the export's and the client's live data) is far below the text
      // that buffering would hold, and does not grow with the lines sent (a quarter of them is ~17 MB of text).
      const growth = retained.map((value) => value - baseline);
      expect(growth).toHaveLength(4);
      expect(Math.max(...growth)).toBeLessThan(bytes / 8);
      const [first = 0, ...rest] = retained;
      for (const later of rest) expect(later - first).toBeLessThan(8 * 1024 * 1024);
      expect(logLines.at(-1)).toMatchObject({ accountId: bulk.accountId, events: TOTAL, complete: true });
    }, 120_000);

    it('a client that stops reading holds the server back (backpressure), and one that leaves stops it', async () => {
      gc();
      const baseline = process.memoryUsage().heapUsed;
      const controller = new AbortController();
      const response = await get({ action: 'bulkChange' }, bulk.token, { signal: controller.signal });
      const reader = defined(response.body, 'the body').getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      // The client reads nothing for a second: the server waits for the socket to drain.
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        samples.push(process.memoryUsage().heapUsed);
      }
      const peak = Math.max(...samples) - baseline;
      const exportsBefore = logLines.length;
      controller.abort();
      await reader.cancel().catch(() => undefined);
      // The export notices the client is gone and stops, short of the whole trail.
      for (let i = 0; i < 100 && logLines.length === exportsBefore; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const ended = defined(logLines.at(-1), 'the log line of the export');
      console.info('audit export paused client', JSON.stringify({ peakGrowthMB: mb(peak), eventsSent: ended.events }));
      expect(ended).toMatchObject({ accountId: bulk.accountId, complete: false });
      expect(Number(ended.events)).toBeLessThan(TOTAL / 2);
      expect(peak).toBeLessThan(32 * 1024 * 1024);
    }, 30_000);
  });
});
