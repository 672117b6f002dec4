/** What the benchmark and the soak share: datasets, the server as a process, the load generator. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/schema.js';
import { BENCH_PASSWORD, JWT_SECRET, MUTATION_WORKSPACE, type Dataset } from './dataset.js';
import { seed } from './seed.js';

export const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export { JWT_SECRET };

/** The value, or a thrown error naming what was missing. */
export function required<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}

/** The URL of database `name` on the server of `adminUrl` (the benchmark's PostgreSQL unless said). */
export const databaseUrl = (name: string, adminUrl = ADMIN_URL) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();

/** A connection used for raw SQL only (the maintenance database): no typed tables. */
type RawSqlDatabase = Kysely<Record<string, never>>;

/** Creates, migrates, seeds and prewarms the dataset's database on the server of `adminUrl` (the benchmark's PostgreSQL unless said). */
export async function prepare(dataset: Dataset, adminUrl = ADMIN_URL) {
  const admin: RawSqlDatabase = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: adminUrl, max: 1 }) }),
  });
  const exists = await sql`select 1 from pg_database where datname = ${dataset.database}`.execute(admin);
  if (!exists.rows.length) await sql`create database ${sql.id(dataset.database)}`.execute(admin);
  await admin.destroy();
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(dataset.database, adminUrl), max: 2 }) }),
  });
  await migrateToLatest(db);
  const result = await seed(db, dataset);
  console.log(
    result.skipped ? `dataset ${dataset.name}: already seeded` : `dataset ${dataset.name}: seeded in ${result.seconds.toFixed(1)} s`,
  );
  // A dataset seeded earlier carries earlier runs' last-use stamps (dead row versions, split
  // pages), and maybe pages filled before migration 0016 left room for stamps: every run starts
  // from the layout a fresh seed has.
  if (result.skipped) await sql`vacuum (full) api_key, access_key`.execute(db);
  // Autovacuum, in time, marks the pages of tables that only grew all-visible, and index-only
  // scans (the key's owner's membership) rely on it: every run starts as on a server up a while.
  await sql`vacuum (analyze)`.execute(db);
  // A dataset seeded earlier (or before a reboot) lies on disk: random key lookups would then
  // measure the disk. Read every table and index into the OS cache first, as a server that has
  // been up a while has them.
  const started = performance.now();
  await sql`create extension if not exists pg_prewarm`.execute(db);
  const warmed = await sql<{ blocks: number }>`
    select coalesce(sum(pg_prewarm(c.oid, 'read')), 0)::int as blocks
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'i')`.execute(db);
  console.log(
    `dataset ${dataset.name}: ${Math.round(((warmed.rows[0]?.blocks ?? 0) * 8) / 1024)} MB read into the OS cache in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await db.destroy();
  return result;
}

export interface Server {
  url: string;
  process: ChildProcess;
  /** The operating-system process ID of `process`. */
  pid: number;
  /** The PostgreSQL database it serves (DATABASE_URL), if any. */
  database: string | null;
  /** The Redis its model-call counters live in (REDIS_URL); null: the database's `model_call_counter`. */
  redisUrl: string | null;
  stop(): Promise<void>;
}

export async function waitUntilUp(url: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      const response = await fetch(url.replace('/graphql', '/healthz'));
      if (response.ok) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`server at ${url} did not start`);
}

/** `env` is added to the benchmark's own environment; a variable given as undefined is left out. */
/** Starts the built gateway of `directory` (this project unless said) on `port`, as production runs it; `nodeOptions` for Node itself. */
export async function startServer(
  port: number,
  env: Record<string, string | undefined>,
  directory = '.',
  nodeOptions: readonly string[] = [],
): Promise<Server> {
  const child = spawn(process.execPath, [...nodeOptions, 'dist/src/main.js'], {
    cwd: directory,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      EXPOSE_STATEMENT_COUNT: 'true',
      MUTATION_LIMIT_PER_MINUTE: '1000000000',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    await waitUntilUp(url, 30_000);
  } catch (error) {
    // A server that never answered is not left behind.
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    process: child,
    pid: required(child.pid, 'the server process ID'),
    database: env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).pathname.slice(1)) : null,
    redisUrl: 'REDIS_URL' in env ? (env.REDIS_URL ?? null) : (process.env.REDIS_URL ?? null),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let clockTicks: number | undefined;

/** CPU time, in milliseconds, that a process has used so far (user and system; 0 where /proc cannot tell). */
export function cpuMs(pid: number): number {
  const { user, system } = cpuTimesMs(pid);
  return user + system;
}

/** `cpuMs` apart: user time, and system time (the kernel's, on the process's behalf: its reads, writes and wake-ups). */
export function cpuTimesMs(pid: number): { user: number; system: number } {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { user: (Number(fields[11]) * 1000) / clockTicks, system: (Number(fields[12]) * 1000) / clockTicks };
  } catch {
    return { user: 0, system: 0 };
  }
}

/**
 * CPU time so far, in ms, of a PostgreSQL server of the benchmark's own (its data folder): its
 * postmaster (with the children it has reaped: the backends of closed connections) and its live
 * children (backends, WAL sender or receiver, startup process, checkpointer...).
 */
export function postgresCpuMs(dataDir: string): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // After `(comm) `: state, ppid, ... utime (14th field of the line), stime, cutime, cstime.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    if (Number(entry) === postmaster) ticks += (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0);
    else if (Number(fields[1]) === postmaster) ticks += (utime ?? 0) + (stime ?? 0);
  }
  return (ticks * 1000) / clockTicks;
}

/** The `shared_buffers` of the server of `adminUrl` (the benchmark's PostgreSQL unless said), as it shows it: `128MB`. */
export async function sharedBuffersOf(adminUrl = ADMIN_URL): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ shared_buffers: string }>('show shared_buffers');
    return required(rows[0], 'shared_buffers').shared_buffers;
  } finally {
    await client.end();
  }
}

let admin: pg.Pool | undefined;

/**
 * CPU time used so far by each PostgreSQL backend serving `database` (local server only: other
 * backends' processes cannot be read, and count 0). The benchmark measures one server at a time,
 * so the backends busy in a window are that server's.
 */
export async function backendsCpuMs(database: string): Promise<Map<number, number>> {
  admin ??= new pg.Pool({ connectionString: ADMIN_URL, max: 1, allowExitOnIdle: true });
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
    database,
  ]);
  return new Map(rows.map((r) => [r.pid, cpuMs(r.pid)]));
}

/** CPU time used by `database`'s backends between two `backendsCpuMs` readings (a backend new since the first counts whole). */
export const backendsCpuSince = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

export const rssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};

export async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || body.data === undefined) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return { data: body.data, statements: Number(response.headers.get('x-sql-statements') ?? NaN) };
}

export async function login(url: string, loginName: string) {
  const { data } = await graphql<{ login: { token: string } }>(url, `mutation($i: LoginInput!) { login(input: $i) { token } }`, {
    i: { loginName, password: BENCH_PASSWORD },
  });
  return data.login.token;
}

/** The mutation mix creates and deletes keys; a run cut short leaves some behind: start clean. */
export async function resetMutationWorkspace(dataset: Dataset) {
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(dataset.database), max: 1 }) }),
  });
  await sql`update api_key set deleted_at = now() where workspace_id = ${MUTATION_WORKSPACE} and description = 'bench-created' and deleted_at is null`.execute(
    db,
  );
  await sql`update workspace set api_key_count = (select count(*) from api_key where workspace_id = ${MUTATION_WORKSPACE} and deleted_at is null) where id = ${MUTATION_WORKSPACE}`.execute(
    db,
  );
  await db.destroy();
}

/** Runs the load generator in its own process (bench/load.ts) and returns its figures. */
export async function runLoad(config: Record<string, unknown>): Promise<{
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  firstError: string | null;
  /** Answers containing each of `config.count`'s strings. */
  counts: Record<string, number>;
  /** The load generator's own CPU (user and system) while it ran the load, in ms: it shares the machine's cores. */
  cpuMs: number;
}> {
  const output = await new Promise<string>((resolve, reject) => {
    const load = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    load.stdout.on('data', (chunk) => (text += chunk));
    load.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`load generator exited ${code}`))));
  });
  const lastLine = output.trim().split('\n').at(-1);
  if (lastLine === undefined) throw new Error('the load generator printed nothing');
  return JSON.parse(lastLine);
}

/**
 * The embedded first start of the build in `directory`: an empty PGlite data folder to the first
 * answered request, built JS, in milliseconds (`nodeOptions` for Node itself).
 */
export async function timeEmbeddedStart(directory = '.', nodeOptions: readonly string[] = [], port = 4390): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
  const started = performance.now();
  const { DATABASE_URL: _unused, ...environment } = process.env;
  const embedded = spawn(process.execPath, [...nodeOptions, 'dist/src/main.js'], {
    cwd: directory,
    env: { ...environment, NODE_ENV: 'production', PORT: String(port), JWT_SECRET, LOG_LEVEL: 'warn', DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/graphql`, 60_000);
    return performance.now() - started;
  } finally {
    await new Promise<void>((resolve) => {
      if (embedded.exitCode !== null) return resolve();
      embedded.once('exit', () => resolve());
      embedded.kill('SIGTERM');
    });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What a part of the benchmark that runs on servers of its own (replicas, sized buffers) is told. */
export interface BenchPartOptions {
  quick: boolean;
  /** Seconds per measured side, split across the rounds. */
  seconds?: number | undefined;
  rounds?: number | undefined;
  /** Builds the server first (run alone; `npm run bench` has built it). */
  build?: boolean;
  /** A results file (run.ts's latest.json) to add the figures and targets to. */
  mergeInto?: string;
}

/** Writes a part's results to bench/results/`name`.json and, if asked, adds them and their targets to `mergeInto` under `name`. */
export function writePartResults(name: string, results: { targets: unknown[] }, mergeInto?: string) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, JSON.stringify(results, null, 2));
  console.log(`\nwrote bench/results/${name}.json`);
  if (mergeInto && existsSync(mergeInto)) {
    const latest = JSON.parse(readFileSync(mergeInto, 'utf8')) as { targets?: unknown[] };
    writeFileSync(
      mergeInto,
      JSON.stringify({ ...latest, [name]: results, targets: [...(latest.targets ?? []), ...results.targets] }, null, 2),
    );
    console.log(`added the ${name} figures to ${mergeInto}`);
  }
}

/** Runs a part alone when its module is the command (`tsx bench/<part>.ts [--quick] [--rounds N] [--seconds N]`), built first. */
export async function runPartAlone(moduleUrl: string, part: (options: BenchPartOptions) => Promise<unknown>) {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    const value = at > 0 ? Number(process.argv[at + 1]) : NaN;
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  await part({ quick: process.argv.includes('--quick'), seconds: option('--seconds'), rounds: option('--rounds'), build: true });
}
