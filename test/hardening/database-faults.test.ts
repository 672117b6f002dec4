import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { defined } from '../helpers/assertions.js';
import { PASSWORD, login, signUp, type TestAccount } from '../helpers/fixtures.js';
import { GraphQLClient } from '../helpers/graphql-client.js';
import { activateRegion, createKey } from '../helpers/model-studio-fixtures.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';

/** An outage must be reported, not waited out: every request answers within this. */
const BOUND_MS = 6_000;
const UNAVAILABLE = { message: 'The database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } };

const VIEWER = `{ viewer { principal { id } } }`;
const MODEL_ACCESS = `query($m: ID!) { modelAccess(model: $m) { allowed reason } }`;
const SIGN_UP = `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`;

/** viewer: a session (authenticated while building the context); keyViewer, modelAccess: an API key (authenticated by the shield rules). */
type Kind = 'viewer' | 'keyViewer' | 'modelAccess' | 'signUp' | 'healthz';
interface Sample {
  kind: Kind;
  started: number;
  ms: number;
  /** HTTP status, or what went wrong on the way (the gateway must always answer). */
  status: number | 'transport error' | 'timeout';
  code: string;
  message?: string;
}

const unique = () => randomBytes(4).toString('hex');

interface Credentials {
  token: string;
  secret: string;
}

async function call(baseUrl: string, kind: Kind, credentials: Credentials): Promise<Sample> {
  const started = Date.now();
  const signal = AbortSignal.timeout(20_000);
  try {
    let response: Response;
    if (kind === 'healthz') {
      response = await fetch(new URL('/healthz', baseUrl), { signal });
    } else {
      const name = `load-${unique()}`;
      const body =
        kind === 'signUp'
          ? { query: SIGN_UP, variables: { i: { accountName: name, email: `${name}@example.com`, password: PASSWORD } } }
          : kind === 'modelAccess'
            ? { query: MODEL_ACCESS, variables: { m: 'qwen-plus' } }
            : { query: VIEWER };
      const bearer = kind === 'viewer' ? credentials.token : kind === 'signUp' ? null : credentials.secret;
      response = await fetch(baseUrl, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify(body),
      });
    }
    const json = (await response.json()) as { status?: string; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    const error = json.errors?.[0];
    const code = kind === 'healthz' ? (json.status ?? '?') : (error?.extensions?.code ?? 'OK');
    return { kind, started, ms: Date.now() - started, status: response.status, code, ...(error ? { message: error.message } : {}) };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return { kind, started, ms: Date.now() - started, status: timedOut ? 'timeout' : 'transport error', code: String(error) };
  }
}

/** `workers` clients calling the gateway in a loop, round robin over the kinds, until stopped. */
function startLoad(baseUrl: string, credentials: Credentials, workers = 10) {
  const samples: Sample[] = [];
  let running = true;
  const kinds: Kind[] = ['viewer', 'modelAccess', 'signUp', 'healthz'];
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = worker; running; i++) {
      samples.push(await call(baseUrl, defined(kinds[i % kinds.length], 'a kind of request'), credentials));
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const summary = (samples: Sample[]) => {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const key = `${s.kind} ${s.status} ${s.code}${s.message && s.code !== 'OK' ? ` "${s.message}"` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
};

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(testDatabaseKind() !== 'postgres')("database faults (a PostgreSQL of the test's own, gateway as a process)", () => {
  let postgres: PrivatePostgres | undefined;
  let server: ServerProcess | undefined;
  let client: GraphQLClient;
  let baseUrl: string;
  let root: TestAccount;
  let credentials: Credentials;

  const healthz = () => call(baseUrl, 'healthz', credentials);
  const privatePostgres = () => defined(postgres, 'the private PostgreSQL (started in beforeAll)');
  const alive = () => {
    const { child } = defined(server, 'the gateway process (started in beforeAll)');
    return child.exitCode === null && child.signalCode === null;
  };

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const database = await openDatabase({ kind: 'postgres', url: postgres.url });
    try {
      await migrateToLatest(database.db);
    } finally {
      await database.close();
    }
    server = await startServerProcess(postgres.url);
    baseUrl = server.url;
    client = new GraphQLClient(server.url);
    root = await signUp(client);
    const workspaceId = await activateRegion(client, root.token);
    credentials = { token: root.token, secret: (await createKey(client, root.token, workspaceId)).secret };
    expect((await call(baseUrl, 'modelAccess', credentials)).code).toBe('OK');
    expect((await call(baseUrl, 'keyViewer', credentials)).code).toBe('OK');
  });

  afterAll(async () => {
    try {
      const child = server?.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    } finally {
      await postgres?.destroy();
    }
  });

  it('a crash under load: the outage answers SERVICE_UNAVAILABLE in bounded time and /healthz 503; after the restart service resumes and acknowledged writes are there', async () => {
    const load = startLoad(baseUrl, credentials);
    let crashed = 0;
    let restarting = 0;
    let durable: TestAccount | undefined;
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      // A write acknowledged just before the crash.
      durable = await signUp(client, `durable-${unique()}`);
      await privatePostgres().stop('immediate');
      crashed = Date.now();

      // While the database is down: a clear error, at once, and the process stays up.
      const health = await healthz();
      expect(health).toMatchObject({ status: 503, code: 'unavailable' });
      expect(health.ms).toBeLessThan(BOUND_MS);
      const viewer = await client.request(VIEWER, {}, { token: root.token });
      expect(viewer).toMatchObject({ status: 503, data: undefined, errors: [UNAVAILABLE] });
      expect(await call(baseUrl, 'modelAccess', credentials)).toMatchObject({
        status: 503,
        code: 'SERVICE_UNAVAILABLE',
        message: UNAVAILABLE.message,
      });
      const write = await client.request(SIGN_UP, {
        i: { accountName: `x-${unique()}`, email: `x-${unique()}@example.com`, password: PASSWORD },
      });
      expect(write).toMatchObject({ status: 503, data: { signUp: null }, errors: [{ ...UNAVAILABLE, path: ['signUp'] }] });
      await new Promise((r) => setTimeout(r, 2_000));
      expect(alive()).toBe(true);

      restarting = Date.now();
      await privatePostgres().start();
      // The same gateway process serves again: its pool reconnects.
      await until(async () => (await healthz()).status === 200, 10_000, '/healthz 200 after the restart');
      expect(await client.ok(VIEWER, {}, root.token)).toEqual({ viewer: { principal: { id: root.rootId } } });
    } finally {
      await load.stop();
    }
    expect(alive()).toBe(true);

    // The write acknowledged before the crash survived it.
    expect(await login(client, defined(durable, 'the account signed up before the crash').email)).toEqual(expect.any(String));

    const samples = load.samples;
    const during = samples.filter((s) => s.started > crashed && s.started + s.ms < restarting);
    const report = { all: summary(samples), duringOutage: summary(during) };
    // Every request was answered (no reset, no hang), in bounded time.
    expect(
      samples.filter((s) => typeof s.status !== 'number'),
      JSON.stringify(report),
    ).toEqual([]);
    expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(BOUND_MS);
    // Requests made while the database was down said so, and nothing else.
    expect(during.length).toBeGreaterThan(20);
    for (const s of during) {
      if (s.kind === 'healthz') expect(s).toMatchObject({ status: 503, code: 'unavailable' });
      else expect(s, JSON.stringify(s)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: UNAVAILABLE.message });
    }
    // Requests cut by the crash itself may fail, but only with SERVICE_UNAVAILABLE.
    expect(
      samples.filter((s) => !['OK', 'SERVICE_UNAVAILABLE', 'ok', 'unavailable'].includes(s.code)),
      JSON.stringify(report),
    ).toEqual([]);
  }, 90_000);

  it("a database that does not answer: requests fail after the pool's connection timeout (5 s), not later; service resumes when it answers again", async () => {
    await privatePostgres().ensureStarted();
    // Drop the gateway's pooled connections, so that every request needs a new one; then freeze
    // the postmaster: it accepts TCP connections (in the kernel's backlog) but never answers.
    const admin = new pg.Client({ connectionString: privatePostgres().url });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and backend_type = $1', [
        'client backend',
      ]);
    } finally {
      await admin.end();
    }
    await new Promise((r) => setTimeout(r, 1_000)); // the gateway's pool sees its clients go
    privatePostgres().freeze();
    let samples: Sample[];
    try {
      samples = await Promise.all([
        healthz(),
        ...Array.from({ length: 15 }, (_, i) =>
          call(baseUrl, defined((['viewer', 'modelAccess', 'signUp'] as const)[i % 3], 'a kind of request'), credentials),
        ),
      ]);
      expect(alive()).toBe(true);
    } finally {
      privatePostgres().thaw();
    }
    const report = JSON.stringify(summary(samples));
    for (const s of samples) {
      expect(s.ms, `${JSON.stringify(s)} in ${report}`).toBeLessThan(BOUND_MS);
      expect(s.ms, JSON.stringify(s)).toBeGreaterThanOrEqual(4_500); // it did wait for the timeout
      if (s.kind === 'healthz') expect(s).toMatchObject({ status: 503, code: 'unavailable' });
      else expect(s, JSON.stringify(s)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: UNAVAILABLE.message });
    }
    await until(async () => (await healthz()).status === 200, 10_000, '/healthz 200 after the thaw');
    expect(await client.ok(VIEWER, {}, root.token)).toEqual({ viewer: { principal: { id: root.rootId } } });
  }, 60_000);

  it('an API-key request checked by a shield rule answers SERVICE_UNAVAILABLE during an outage, in bounded time', async () => {
    await privatePostgres().ensureStarted();
    expect((await call(baseUrl, 'keyViewer', credentials)).code).toBe('OK');
    await privatePostgres().stop('fast');
    try {
      // The rule fails on the database, which is an outage, never a refusal.
      const keyRequestDuringOutage = await call(baseUrl, 'keyViewer', credentials);
      expect(keyRequestDuringOutage.ms).toBeLessThan(BOUND_MS);
      expect(keyRequestDuringOutage).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: UNAVAILABLE.message });
      expect(alive()).toBe(true);
    } finally {
      await privatePostgres().start();
      await until(async () => (await healthz()).status === 200, 10_000, '/healthz 200 after the restart');
    }
  }, 60_000);
});
