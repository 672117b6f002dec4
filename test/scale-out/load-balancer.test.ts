import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { defined } from '../helpers/assertions.js';
import { createUser, signUp, type TestAccount } from '../helpers/fixtures.js';
import { GraphQLClient } from '../helpers/graphql-client.js';
import { activateRegion, createKey, createWorkspace } from '../helpers/model-studio-fixtures.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { freePort } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { TEST_PROCESS_ENV } from '../helpers/server-process.js';
import { TEST_JWT_SECRET } from '../helpers/test-gateway.js';

/**
 * Issue #15: two gateway processes on one PostgreSQL behind Debian's HAProxy (which .ci/run
 * installs) running deploy/haproxy/haproxy.cfg as shipped. A rolling restart under load drops no
 * request, and a revocation through one gateway holds on the next request through the other.
 */

const SHIPPED_CONFIG = new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url);
/** The `server` names of the shipped file, GATEWAY_1 and GATEWAY_2. */
const SERVER_NAMES = ['gw1', 'gw2'] as const;
/** As deploy/haproxy/README.md advises: the shipped checks take a gateway out within 0.75 s; the rest is margin. */
const DRAIN_SECONDS = 3;
const LOAD_LOOPS = 8;
/** Between a client's requests: a steady load that does not starve the gateway being started meanwhile. */
const PAUSE_MS = 10;

const VIEWER = `{ viewer { principal { id } } }`;
const VIEWER_CREDENTIAL = `{ viewer { principal { id } credential } }`;
const CREATE_KNOWLEDGE_BASE = `mutation($i: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $i) { id name } }`;

/** haproxy on PATH (or in /usr/sbin, which a non-root PATH may lack), or null. */
function findHaproxy(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin'].filter(Boolean);
  return dirs.map((dir) => join(dir, 'haproxy')).find((candidate) => existsSync(candidate)) ?? null;
}

const onPostgres = testDatabaseKind() === 'postgres';
const haproxyBinary = onPostgres ? findHaproxy() : null;
if (onPostgres && haproxyBinary === null) {
  console.warn("test/scale-out/load-balancer.test.ts: skipped, haproxy is not installed (.ci/run installs Debian's haproxy)");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(50);
  }
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const exitOf = (child: ChildProcess) =>
  new Promise<Exit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

async function kill(child: ChildProcess | undefined, signal: NodeJS.Signals) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  child.kill(signal);
  await exited;
}

interface GatewayProcess {
  port: number;
  baseUrl: string;
  client: GraphQLClient;
  child: ChildProcess;
}

/**
 * src/main.ts as test/helpers/server-process.ts starts it, but on a port of the caller's choosing:
 * a restarted gateway comes back at the address of its `server` line. Ready once /readyz is 200,
 * which is what HAProxy checks.
 */
async function startGateway(databaseUrl: string, port: number): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      ...TEST_PROCESS_ENV,
      SHUTDOWN_DRAIN_SECONDS: String(DRAIN_SECONDS),
      TRUSTED_PROXIES: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway on port ${port} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    // Generous: on a busy two-CPU machine a start has taken 25 s.
    if (Date.now() - started > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`gateway on port ${port} did not get ready`);
    }
    await sleep(50);
  }
  return { port, baseUrl, client: new GraphQLClient(`${baseUrl}/graphql`), child };
}

interface ServerStat {
  /** `UP`, `DOWN`, or on the way: `UP 1/2` (going down), `DOWN 1/2` (coming up). */
  status: string;
  /** Requests HAProxy sent to the server. */
  stot: number;
  /** Requests that failed to connect to it. */
  econ: number;
  /** Requests whose response failed (closed or timed out). */
  eresp: number;
  /** Retries and redispatches (to another server). */
  wretr: number;
  wredis: number;
}

interface RunningHaproxy {
  port: number;
  dir: string;
  process: ChildProcess;
  /** Its stderr (server state changes, alerts) and request log, line by line. */
  log: string[];
  stats(): Promise<Record<string, ServerStat>>;
}

/** `show stat` on the admin socket: the servers of the `gateways` backend, by name. */
async function serverStats(socket: string): Promise<Record<string, ServerStat>> {
  const text = await new Promise<string>((resolve, reject) => {
    const conn = connect(socket);
    let out = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => (out += chunk));
    conn.once('end', () => resolve(out));
    conn.once('error', reject);
    // Not interactive: HAProxy answers the one command, then closes.
    conn.write('show stat\n');
  });
  const [header = '', ...rows] = text.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const stats: Record<string, ServerStat> = {};
  for (const row of rows) {
    const field = Object.fromEntries(row.split(',').map((value, i) => [columns[i], value]));
    if (field.pxname !== 'gateways' || field.svname === 'BACKEND' || !field.svname) continue;
    stats[field.svname] = {
      status: field.status ?? '',
      stot: Number(field.stot),
      econ: Number(field.econ || 0),
      eresp: Number(field.eresp || 0),
      wretr: Number(field.wretr || 0),
      wredis: Number(field.wredis || 0),
    };
  }
  return stats;
}

/**
 * The shipped file, its addresses given in the environment, run in the foreground (-db) until
 * both servers are UP. As root the file runs unchanged (Debian's chroot and haproxy user); as
 * another user HAProxy can do neither, so those three lines are left out.
 */
async function startHaproxy(binary: string, gatewayPorts: readonly [number, number]): Promise<RunningHaproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'haproxy-gw-'));
  const port = await freePort();
  const socket = join(dir, 'admin.sock');
  let config = await readFile(SHIPPED_CONFIG, 'utf8');
  if (process.getuid?.() !== 0) config = config.replace(/^\s*(chroot|user|group)\s.*$/gm, '');
  const configPath = join(dir, 'haproxy.cfg');
  await writeFile(configPath, config);
  const env = {
    ...process.env,
    GATEWAY_LB_BIND: `127.0.0.1:${port}`,
    GATEWAY_1: `127.0.0.1:${gatewayPorts[0]}`,
    GATEWAY_2: `127.0.0.1:${gatewayPorts[1]}`,
    GATEWAY_LB_STATS_SOCKET: socket,
    GATEWAY_LB_LOG: 'stdout',
  };
  const check = spawnSync(binary, ['-c', '-f', configPath], { env, encoding: 'utf8' });
  expect(check.status, `haproxy -c:\n${check.stdout}${check.stderr}`).toBe(0);

  const child = spawn(binary, ['-db', '-f', configPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => log.push(...chunk.split('\n').filter(Boolean)));
  }
  const stats = () => serverStats(socket);
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}):\n${log.join('\n')}`);
        // HAProxy may accept on its port before its stats socket exists.
        if (!(await accepts(port)) || !existsSync(socket)) return false;
        const servers = await stats();
        return SERVER_NAMES.every((name) => servers[name]?.status === 'UP');
      },
      10_000,
      'haproxy listening, both servers UP',
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { port, dir, process: child, log, stats };
}

async function stopHaproxy(haproxy: RunningHaproxy) {
  await kill(haproxy.process, 'SIGTERM');
  await rm(haproxy.dir, { recursive: true, force: true });
}

interface Reply {
  status: number;
  body: string;
}

/** One request on a connection of its own (no keep-alive), optionally from another local address. */
function send(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      agent: false,
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    req.once('error', reject);
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.once('error', reject);
    });
    req.end(options.body);
  });
}

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

interface Load {
  /** Requests started. */
  readonly sent: number;
  /** Every response that is not 2xx or carries GraphQL errors, and every connection error. */
  failures: string[];
  /** Names of the knowledge bases whose creation was acknowledged. */
  created: string[];
  stop(): Promise<void>;
}

/**
 * `loops` clients, each sending its next request shortly after the last one is answered: three
 * `viewer` queries, then one `createKnowledgeBase` (a mutation, which may not run twice), and so on.
 */
function startLoad(url: string, account: TestAccount, workspaceId: string, loops = LOAD_LOOPS): Load {
  let running = true;
  let sent = 0;
  const failures: string[] = [];
  const created: string[] = [];
  const workers = Array.from({ length: loops }, async (_, worker) => {
    for (let i = 0; running; i++) {
      const name = `load-${worker}-${i}`;
      const mutation = i % 4 === 3;
      const body = mutation ? { query: CREATE_KNOWLEDGE_BASE, variables: { i: { workspaceId, name } } } : { query: VIEWER };
      const what = mutation ? `createKnowledgeBase ${name}` : 'viewer';
      sent++;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await response.text();
        let answer: GraphQLAnswer | null = null;
        try {
          answer = JSON.parse(text) as GraphQLAnswer;
        } catch {
          // not JSON: a failure, reported below
        }
        const served = mutation ? answer?.data?.createKnowledgeBase : answer?.data?.viewer;
        if (response.ok && !answer?.errors && served) {
          if (mutation) created.push(name);
        } else {
          failures.push(`${what}: ${response.status} ${text.slice(0, 300)}`);
        }
      } catch (error) {
        failures.push(`${what}: connection error ${String((error as Error).cause ?? error)}`);
      }
      await sleep(PAUSE_MS);
    }
  });
  return {
    get sent() {
      return sent;
    },
    failures,
    created,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

const TITLE = 'two gateways behind HAProxy with deploy/haproxy/haproxy.cfg (private PostgreSQL)';

describe.skipIf(!onPostgres || haproxyBinary === null)(
  haproxyBinary === null && onPostgres ? `${TITLE} (skipped: haproxy is not installed; .ci/run installs it)` : TITLE,
  () => {
    let postgres: PrivatePostgres | undefined;
    const gateways: GatewayProcess[] = [];
    let haproxy: RunningHaproxy | undefined;
    let root: TestAccount;
    let workspaceId: string;

    const running = () => defined(haproxy, 'haproxy (started in beforeAll)');
    const gateway = (index: 0 | 1) => defined(gateways[index], `gateway ${SERVER_NAMES[index]} (started in beforeAll)`);
    const viaHaproxy = () => `http://127.0.0.1:${running().port}/graphql`;

    beforeAll(async () => {
      postgres = await startPrivatePostgres();
      // Migrated once, before two processes start on it.
      const database = await openDatabase({ kind: 'postgres', url: postgres.url });
      try {
        await migrateToLatest(database.db);
      } finally {
        await database.close();
      }
      const url = postgres.url;
      const ports = [await freePort(), await freePort()] as const;
      gateways.push(...(await Promise.all(ports.map((port) => startGateway(url, port)))));
      haproxy = await startHaproxy(haproxyBinary ?? 'haproxy', ports);

      const client = new GraphQLClient(viaHaproxy());
      root = await signUp(client);
      await activateRegion(client, root.token);
      workspaceId = await createWorkspace(client, root.token, 'load');
    });

    afterAll(async () => {
      try {
        if (haproxy) await stopHaproxy(haproxy);
        for (const g of gateways) await kill(g.child, 'SIGKILL');
      } finally {
        await postgres?.destroy();
      }
    });

    it('a revocation through one gateway holds on the very next request through the other', async () => {
      const [a, b] = [gateway(0).client, gateway(1).client];
      const account = await signUp(a);

      // A RAM user's session, issued by A, works at B; disabled through A, B refuses it next.
      const user = await createUser(a, account.token);
      expect(await b.ok(VIEWER, {}, user.token)).toEqual({ viewer: { principal: { id: user.id } } });
      await a.ok(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: user.id }, account.token);
      const session = await b.request(VIEWER, {}, { token: user.token });
      expect(session.errors?.[0]?.extensions?.code, JSON.stringify(session)).toBe('UNAUTHENTICATED');

      // An API key created through A works at B; deleted through A, B refuses it next.
      const workspace = await activateRegion(a, account.token);
      const key = await createKey(a, account.token, workspace);
      expect(await b.ok(VIEWER_CREDENTIAL, {}, key.secret)).toEqual({
        viewer: { principal: { id: account.rootId }, credential: 'API_KEY' },
      });
      await a.ok(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: key.id }, account.token);
      const keyed = await b.request(VIEWER, {}, { token: key.secret });
      expect(keyed.errors?.[0]?.extensions?.code, JSON.stringify(keyed)).toBe('UNAUTHENTICATED');
    });

    it("through HAProxy the gateway records the client's own address (X-Forwarded-For from a trusted proxy), not one the client claims", async () => {
      // The client connects from 127.0.0.3 (loopback, but not the trusted 127.0.0.1) and claims another address.
      const reply = await send(viaHaproxy(), {
        body: JSON.stringify({ query: CREATE_KNOWLEDGE_BASE, variables: { i: { workspaceId, name: 'from-127-0-0-3' } } }),
        headers: { authorization: `Bearer ${root.token}`, 'x-forwarded-for': '198.51.100.7' },
        localAddress: '127.0.0.3',
      });
      expect(reply.status, reply.body).toBe(200);
      const created = (JSON.parse(reply.body) as { data: { createKnowledgeBase: { id: string } } }).data.createKnowledgeBase;
      const trail = await new GraphQLClient(viaHaproxy()).ok<{ auditEvents: { edges: Array<{ node: { sourceIp: string | null } }> } }>(
        `query($r: ID!) { auditEvents(first: 5, filter: { resourceId: $r }) { edges { node { sourceIp } } } }`,
        { r: created.id },
        root.token,
      );
      expect(trail.auditEvents.edges.map((edge) => edge.node.sourceIp)).toEqual(['127.0.0.3']);
    });

    it('a rolling restart under load (SIGTERM, drain, exit 0, start again, one gateway after the other) drops no request', async () => {
      const lb = running();
      const load = startLoad(viaHaproxy(), root, workspaceId);
      const snapshots: Array<{ at: string; stats: Record<string, ServerStat> }> = [];
      const snapshot = async (at: string) => {
        const stats = await lb.stats();
        snapshots.push({ at, stats });
        return stats;
      };
      const phases: Record<string, number> = {};

      /** SIGTERM, the drain seen from HAProxy and from the gateway itself, exit 0, and the same port again until HAProxy has it UP. */
      const restart = async (index: 0 | 1) => {
        const name = SERVER_NAMES[index];
        const old = gateway(index);
        const exited = exitOf(old.child);
        const signalled = Date.now();
        old.child.kill('SIGTERM');

        // Draining: /readyz says so, every other request is still served.
        let readiness: Reply = { status: 0, body: '' };
        await until(
          async () => {
            readiness = await send(`${old.baseUrl}/readyz`).catch(() => readiness);
            return readiness.status === 503;
          },
          DRAIN_SECONDS * 1000,
          `${name}: /readyz answers 503 after SIGTERM (SHUTDOWN_DRAIN_SECONDS=${DRAIN_SECONDS})`,
        );
        expect(JSON.parse(readiness.body)).toMatchObject({ ready: false, draining: true });
        expect(await old.client.ok(VIEWER, {}, root.token)).toEqual({ viewer: { principal: { id: root.rootId } } });

        // HAProxy takes it out while it still accepts connections.
        await until(
          async () => (await lb.stats())[name]?.status.startsWith('DOWN') ?? false,
          DRAIN_SECONDS * 1000,
          `HAProxy marks ${name} DOWN`,
        );
        expect(old.child.exitCode, `${name} exited before HAProxy took it out`).toBeNull();
        phases[`${name} out after ms`] = Date.now() - signalled;

        expect(await exited).toEqual({ code: 0, signal: null });
        phases[`${name} exited after ms`] = Date.now() - signalled;

        gateways[index] = await startGateway(defined(postgres, 'the private PostgreSQL').url, old.port);
        await until(async () => (await lb.stats())[name]?.status === 'UP', 10_000, `HAProxy has the new ${name} UP`);
        phases[`${name} back after ms`] = Date.now() - signalled;
        return snapshot(`${name} back`);
      };

      let before: Record<string, ServerStat>;
      let gw1Back: Record<string, ServerStat>;
      let gw2Back: Record<string, ServerStat>;
      let after: Record<string, ServerStat>;
      try {
        await sleep(1_500);
        before = await snapshot('before');
        gw1Back = await restart(0);
        gw2Back = await restart(1);
        await sleep(1_500);
        after = await snapshot('after');
      } finally {
        await load.stop();
      }

      const figures = {
        loops: LOAD_LOOPS,
        sent: load.sent,
        failed: load.failures.length,
        mutationsAcknowledged: load.created.length,
        phases,
        haproxy: snapshots.map(({ at, stats }) => ({ at, ...stats })),
      };
      console.info('rolling restart behind haproxy', JSON.stringify(figures));

      // HAProxy's log lines of the requests it did not answer 2xx (`gateways/<server> <timers> <status>`).
      const notOk = lb.log.filter((line) => /gateways\/\S+ \S+ (?!2\d\d )-?\d+ /.test(line));
      expect(load.failures, `${load.failures.slice(0, 20).join('\n')}\nhaproxy:\n${notOk.slice(-20).join('\n')}`).toEqual([]);
      expect(load.sent).toBeGreaterThan(200);

      // Both served before the restart, and each served again once back.
      for (const name of SERVER_NAMES) expect(before[name]?.stot, `${name} before`).toBeGreaterThan(0);
      expect(after.gw1?.stot ?? 0).toBeGreaterThan(gw1Back.gw1?.stot ?? 0);
      expect(after.gw2?.stot ?? 0).toBeGreaterThan(gw2Back.gw2?.stot ?? 0);
      // The drain, not HAProxy's retries, kept requests away from a stopping gateway: none had to be sent
      // again (without the drain, refused connections are redispatched and the clients see nothing).
      for (const name of SERVER_NAMES) {
        expect({ retries: after[name]?.wretr, redispatches: after[name]?.wredis, errors: after[name]?.econ }, name).toEqual({
          retries: 0,
          redispatches: 0,
          errors: 0,
        });
      }

      // Every acknowledged mutation is in the database, once; no other was made.
      const check = new pg.Client({ connectionString: defined(postgres, 'the private PostgreSQL').url });
      await check.connect();
      try {
        const { rows } = await check.query<{ name: string }>(`select name from knowledge_base where name like 'load-%'`);
        const stored = rows.map((row) => row.name);
        expect(stored).toHaveLength(load.created.length);
        expect(new Set(stored)).toEqual(new Set(load.created));
      } finally {
        await check.end();
      }
    }, 120_000);

    it('after an empty response HAProxy resends reads only: never a mutation, a request by id or a model call', async () => {
      // Stand-ins: ready, but they close every other connection once they have read the request.
      const received: string[] = [];
      const standIn = async () => {
        const server = createServer((req, res) => {
          if (req.url === '/readyz') return res.end('{"ready":true}');
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (chunk: string) => (body += chunk));
          req.on('end', () => {
            received.push(`${req.method} ${req.url} ${body.slice(0, 40)}`);
            req.socket.destroy();
          });
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return server;
      };
      const standIns: Server[] = [await standIn(), await standIn()];
      const ports = standIns.map((server) => (server.address() as AddressInfo).port);
      const lb = await startHaproxy(haproxyBinary ?? 'haproxy', [defined(ports[0], 'a port'), defined(ports[1], 'a port')]);
      const base = `http://127.0.0.1:${lb.port}`;
      /** How many times the stand-ins received the request (HAProxy answers 502 in the end). */
      const attempts = async (path: string, body?: string) => {
        received.length = 0;
        const reply = await send(`${base}${path}`, body === undefined ? {} : { body });
        expect(reply.status).toBe(502);
        return received.length;
      };
      try {
        expect(await attempts('/graphql', JSON.stringify({ query: VIEWER }))).toBe(4); // retries 3
        expect(await attempts(`/graphql?query=${encodeURIComponent(VIEWER)}`)).toBe(4);
        expect(await attempts('/graphql', JSON.stringify({ query: CREATE_KNOWLEDGE_BASE, variables: {} }))).toBe(1);
        // The keyword spelled with a JSON escape is still a mutation to the gateway.
        expect(await attempts('/graphql', '{"query":"mut\\u0061tion { signUp }"}')).toBe(1);
        // A trusted document sent by its id could be anything.
        expect(await attempts('/graphql', JSON.stringify({ id: 'sha256:0123' }))).toBe(1);
        // A body larger than HAProxy's buffer is never resent: a mutation after 20 KB of variables, out of the ACLs' sight.
        const padding = 'x'.repeat(20_000);
        expect(await attempts('/graphql', JSON.stringify({ variables: { padding }, query: CREATE_KNOWLEDGE_BASE }))).toBe(1);
        expect(await attempts('/authz/model-call')).toBe(1);
      } finally {
        await stopHaproxy(lb);
        for (const server of standIns) {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      }
    });
  },
);
