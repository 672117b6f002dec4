/**
 * The floor (issue #16): consolePage's own SQL statements run through node-pg alone, at the
 * scenario's concurrency, so that a run states the gateway's fraction of what the database allows.
 *
 * The statements are not retyped: one consolePage request is served by the gateway in-process
 * (src/app.ts, on the benchmark's database, with the first member's session token as the
 * scenario sends it) while its pool's clients record each statement's text, parameters, start and
 * end; the session's authentication statement is among them. Statements issued before any other
 * statement of their wave had answered form a wave (a DataLoader batch): none of them can depend
 * on another's rows. A floor "request" then runs the waves in order, a wave's statements in
 * parallel (`Promise.all` of `pool.query`), and serializes an answer with `JSON.stringify`: by
 * default each row cut to the columns the gateway's answer shows (`answeredShape`, into the
 * values a statement builds as JSON), which comes to about the gateway's answer in size; `answer: 'rows'` stringifies every column of every row
 * (about 4 times larger on consolePage, and about 1 ms more CPU per request: principals' and keys'
 * timestamps as Dates). Sizes are printed.
 *
 * The load runs in a child process (`--runner`, as bench/load.ts is separate): a pg.Pool of the
 * gateway's size (src/db/database.ts: 10) driven by as many closed-loop workers as the scenario has
 * connections. It reports requests per second, p50/p99 latency, its own CPU per request
 * (`process.cpuUsage`) and its PostgreSQL backends' (from /proc, local server only). `prepared`
 * runs every statement as a named prepared statement (`{ name, text, values }`); otherwise each is
 * parsed and planned on every execution (pg's unnamed statement), whatever the gateway prepares.
 * Its connections have the gateway's server settings (`preparedStatementOptions`: generic plans, no JIT).
 *
 * `npx tsx bench/floor.ts [--seconds N] [--rounds N] [--connections N] [--database-url URL] [--answer rows]`
 * prints the captured statements and both variants; bench/run.ts calls `measureFloor`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BENCH_FA_LOGIN, BENCH_PASSWORD, CONSOLE_WORKSPACE, DATASETS, JWT_SECRET, keyCount } from './dataset.js';
import type { Database } from '../src/db/schema.js';
import { preparedStatementOptions } from '../src/db/prepared-statements.js';
import { CONSOLE_PAGE_QUERY, scenarios } from './scenarios.js';

/** The gateway's pool size (src/db/database.ts: `poolSize ?? 10`; bench/harness.ts's servers set none). */
export const GATEWAY_POOL_SIZE = 10;

export interface FloorOptions {
  databaseUrl: string;
  connections: number;
  seconds: number;
  prepared: boolean;
  /** The pool's size: the gateway's unless said. */
  poolSize?: number;
  /** Unmeasured load first (connections opened, statements prepared, code compiled): 1 s unless said. */
  warmupSeconds?: number;
  /**
   * What a request serializes: the columns its answer shows (`projected`, the default, about the
   * size of the gateway's answer), or every column of every row (`rows`, `JSON.stringify` as is).
   */
  answer?: 'projected' | 'rows';
}

export interface FloorMeasurement {
  requestsPerSecond: number;
  /** Latency of a floor request (all its waves and the serialization), in milliseconds. */
  p50: number;
  p99: number;
  /** The runner process's CPU (user and system) per request, in milliseconds. */
  cpuMsPerRequest: number;
  /** SQL statements per request. */
  statements: number;
  /** Requests completed in the measured seconds. */
  total: number;
  /** The PostgreSQL backends' CPU per request, in milliseconds (0 where /proc cannot tell: a remote server). */
  databaseCpuMsPerRequest: number;
  /** The size of one request's serialized rows, in characters. */
  answerBytes: number;
}

export interface CapturedStatement {
  text: string;
  values: unknown[];
  /** Whether the gateway runs it as a named prepared statement (src/db/prepared-statements.ts). */
  preparedByGateway: boolean;
  /** Milliseconds since the request was sent, and the rows it answered: for the printout. */
  startMs: number;
  endMs: number;
  rows: number;
  /** The columns of its rows that the gateway's answer shows (`answeredShape`): what the floor serializes. */
  shape: AnswerShape;
}

export interface ConsolePageCapture {
  /** The statements of one consolePage request, wave by wave in the order they ran. */
  waves: CapturedStatement[][];
  /** The gateway's own count for the request (`x-sql-statements`). */
  gatewayStatements: number;
  /** The size of the gateway's answer (the HTTP body), in bytes. */
  gatewayAnswerBytes: number;
}

/** A statement as it crosses to the runner process: its parameters JSON-safe. */
interface WireStatement {
  text: string;
  values: unknown[];
  shape: AnswerShape;
}

interface RunnerConfig {
  databaseUrl: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  prepared: boolean;
  poolSize: number;
  answer: 'projected' | 'rows';
  waves: WireStatement[][];
}

const DATE_TAG = '$floorDate';

/** Parameters to JSON: Dates tagged (pg sends them as timestamps); what JSON cannot carry is refused. */
function encodeValue(value: unknown): unknown {
  if (value instanceof Date) return { [DATE_TAG]: value.toISOString() };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
  throw new Error(`floor: a statement parameter the runner cannot receive: ${typeof value} ${String(value)}`);
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === 'object' && DATE_TAG in value)
    return new Date(String((value as Record<string, unknown>)[DATE_TAG]));
  return value;
}

/**
 * Waves from start and end times: a statement joins the current wave when it was issued before
 * any statement of the wave answered (so it cannot have used their rows); otherwise it starts the
 * next wave, which runs after the whole current one.
 */
export function wavesOf<S extends { startMs: number; endMs: number }>(statements: readonly S[]): S[][] {
  const waves: S[][] = [];
  let current: S[] = [];
  let firstAnswer = Number.POSITIVE_INFINITY;
  for (const statement of [...statements].sort((a, b) => a.startMs - b.startMs)) {
    if (current.length && statement.startMs >= firstAnswer) {
      waves.push(current);
      current = [];
      firstAnswer = Number.POSITIVE_INFINITY;
    }
    current.push(statement);
    firstAnswer = Math.min(firstAnswer, statement.endMs);
  }
  if (current.length) waves.push(current);
  return waves;
}

/** The columns of rows an answer shows, and of the objects and arrays of objects a column holds (JSON), theirs. */
export type AnswerShape = { [column: string]: true | AnswerShape };

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !(value instanceof Date);
const objectsIn = (values: readonly unknown[]) => values.flatMap((value) => (Array.isArray(value) ? value : [value])).filter(isObject);

/**
 * The columns of a statement's rows that the gateway's answer shows: those whose name (camelCased,
 * after a joined table's `alias__`) is a field of the answer, or one of whose string values the
 * answer contains; a column that holds objects (a page PostgreSQL built as JSON) keeps theirs,
 * found the same way. An approximation (a column derived into a field of another name is left
 * out, a foreign key whose value the answer shows stays in) that keeps the floor's answer about
 * the size of the gateway's rather than of the rows (principals' and keys' timestamps, hashes).
 */
export function answeredShape(rows: readonly unknown[], answer: string): AnswerShape {
  const objects = objectsIn(rows);
  const shape: AnswerShape = {};
  for (const column of new Set(objects.flatMap((row) => Object.keys(row)))) {
    const values = objects.map((row) => row[column]);
    if (objectsIn(values).length) {
      const inner = answeredShape(values, answer);
      if (Object.keys(inner).length) shape[column] = inner;
      continue;
    }
    const field = (column.split('__').at(-1) ?? column).replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const shown =
      answer.includes(`"${field}":`) ||
      values.some((value) => typeof value === 'string' && value.length > 1 && answer.includes(JSON.stringify(value)));
    if (shown) shape[column] = true;
  }
  return shape;
}

/** A value cut to `shape`: what the floor serializes of a row. */
function projected(value: unknown, shape: AnswerShape): unknown {
  if (Array.isArray(value)) return value.map((item) => projected(item, shape));
  if (!isObject(value)) return value;
  const kept: Record<string, unknown> = {};
  for (const [column, inner] of Object.entries(shape)) kept[column] = inner === true ? value[column] : projected(value[column], inner);
  return kept;
}

/** A shape as the printout shows it: `rows{principal{name} api_keys{id}}`. */
const shapeText = (shape: AnswerShape): string =>
  Object.entries(shape)
    .map(([column, inner]) => (inner === true ? column : `${column}{${shapeText(inner)}}`))
    .join(' ');

const sameStatements = (a: readonly CapturedStatement[][], b: readonly CapturedStatement[][]) =>
  JSON.stringify(a.map((wave) => wave.map((s) => [s.text, s.values]))) ===
  JSON.stringify(b.map((wave) => wave.map((s) => [s.text, s.values])));

async function post(url: string, body: unknown, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(`floor: the gateway answered ${response.status}: ${text.slice(0, 300)}`);
  return { text, statements: Number(response.headers.get('x-sql-statements') ?? Number.NaN) };
}

/**
 * Serves consolePage in-process on `databaseUrl` (a warm-up request, then three recorded ones that
 * must issue the same statements) and returns the last one's statements in waves (if a busy
 * machine moved a wave boundary between them, the one with the most waves: the stricter order).
 */
export async function captureConsolePage(databaseUrl: string): Promise<ConsolePageCapture> {
  // Loaded here only: the runner process needs none of the gateway, nor does an importer until it captures.
  const [
    { Kysely, PostgresDialect },
    { createGateway },
    { SessionSigner },
    { loadConfig },
    { enablePreparedStatements },
    { createLogger },
  ] = await Promise.all([
    import('kysely'),
    import('../src/app.js'),
    import('../src/auth/session.js'),
    import('../src/config.js'),
    import('../src/db/prepared-statements.js'),
    import('../src/logger.js'),
  ]);
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    EXPOSE_STATEMENT_COUNT: 'true',
    MUTATION_LIMIT_PER_MINUTE: '1000000000',
  });
  let recording: CapturedStatement[] | null = null;
  const rowsOf = new Map<CapturedStatement, Record<string, unknown>[]>();
  let sentAt = 0;
  // The pool as src/db/database.ts opens it, its clients' queries recorded: this listener wraps
  // `query` first, so the prepared-statement wrapper (registered next) calls through it and the
  // recording sees whether the gateway names the statement.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: GATEWAY_POOL_SIZE, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
      const startMs = performance.now() - sentAt;
      const result = query(text, values, callback);
      if (recording && result instanceof Promise) {
        const named = typeof text === 'object' && text !== null ? (text as { name?: string; text: string; values?: unknown[] }) : null;
        const statement: CapturedStatement = {
          text: named ? named.text : String(text),
          values: (named ? named.values : (values as unknown[] | undefined)) ?? [],
          preparedByGateway: Boolean(named?.name),
          startMs,
          endMs: Number.NaN,
          rows: 0,
          shape: {},
        };
        recording.push(statement);
        void result.then(
          (answer: pg.QueryResult) => {
            statement.endMs = performance.now() - sentAt;
            statement.rows = answer.rows.length;
            rowsOf.set(statement, answer.rows as Record<string, unknown>[]);
          },
          () => {
            statement.endMs = performance.now() - sentAt;
          },
        );
      }
      return result;
    }) as typeof client.query;
  });
  enablePreparedStatements(pool);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const signer = new SessionSigner(JWT_SECRET, config.sessionTtlSeconds);
  const gateway = await createGateway(
    { db, config, signer, logger: createLogger('silent', 'json') },
    {
      db,
      ping: async () => true,
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    },
  );
  try {
    await new Promise<void>((done) => gateway.server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}/graphql`;
    // The scenario's token: the first member's session (bench/run.ts logs in the same way).
    const login = await post(url, {
      query: 'mutation($i: LoginInput!) { login(input: $i) { token } }',
      variables: { i: { loginName: BENCH_FA_LOGIN, password: BENCH_PASSWORD } },
    });
    const token = (JSON.parse(login.text) as { data: { login: { token: string } } }).data.login.token;
    const page = { query: CONSOLE_PAGE_QUERY, variables: { w: CONSOLE_WORKSPACE } };
    await post(url, page, token);
    const captures: ConsolePageCapture[] = [];
    for (let i = 0; i < 3; i++) {
      const statements: CapturedStatement[] = [];
      recording = statements;
      sentAt = performance.now();
      const answer = await post(url, page, token);
      recording = null;
      // Every recorded query has settled before the answer was sent.
      for (const statement of statements) statement.shape = answeredShape(rowsOf.get(statement) ?? [], answer.text);
      captures.push({
        waves: wavesOf(statements),
        gatewayStatements: answer.statements,
        gatewayAnswerBytes: Buffer.byteLength(answer.text),
      });
    }
    const last = captures.at(-1) as ConsolePageCapture;
    const count = last.waves.flat().length;
    if (count !== last.gatewayStatements) {
      throw new Error(`floor: recorded ${count} statements, the gateway counted ${last.gatewayStatements}`);
    }
    if (!captures.every((c) => sameStatements(c.waves, last.waves))) {
      // The same statements, but a wave boundary moved on a busy machine: keep the most waves (the stricter order).
      const statementsAlike = captures.every(
        (c) =>
          JSON.stringify(
            c.waves
              .flat()
              .map((s) => [s.text, s.values])
              .sort(),
          ) ===
          JSON.stringify(
            last.waves
              .flat()
              .map((s) => [s.text, s.values])
              .sort(),
          ),
      );
      if (!statementsAlike) throw new Error('floor: three consolePage requests issued different statements');
      return captures.reduce((most, c) => (c.waves.length > most.waves.length ? c : most), last);
    }
    return last;
  } finally {
    await gateway.stop();
    await db.destroy();
  }
}

const captured = new Map<string, Promise<ConsolePageCapture>>();

/** `captureConsolePage`, once per database for the life of the process. */
export function consolePageStatements(databaseUrl: string): Promise<ConsolePageCapture> {
  let capture = captured.get(databaseUrl);
  if (!capture) {
    capture = captureConsolePage(databaseUrl);
    captured.set(databaseUrl, capture);
    capture.catch(() => captured.delete(databaseUrl));
  }
  return capture;
}

const THIS_FILE = fileURLToPath(import.meta.url);

/** Runs the floor for `seconds` in a child process and returns its figures (the statements are captured once per database). */
export async function measureFloor(options: FloorOptions): Promise<FloorMeasurement> {
  const capture = await consolePageStatements(options.databaseUrl);
  const config: RunnerConfig = {
    databaseUrl: options.databaseUrl,
    connections: options.connections,
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds ?? 1,
    prepared: options.prepared,
    poolSize: options.poolSize ?? GATEWAY_POOL_SIZE,
    answer: options.answer ?? 'projected',
    waves: capture.waves.map((wave) => wave.map((s) => ({ text: s.text, values: s.values.map(encodeValue), shape: s.shape }))),
  };
  const output = await new Promise<string>((done, fail) => {
    const runner = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, '--runner'], {
      cwd: resolve(dirname(THIS_FILE), '..'),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let text = '';
    runner.stdout.on('data', (chunk) => (text += chunk));
    runner.on('error', fail);
    runner.on('exit', (code) => (code === 0 ? done(text) : fail(new Error(`the floor runner exited ${code}`))));
    runner.stdin.end(JSON.stringify(config));
  });
  const lastLine = output.trim().split('\n').at(-1);
  if (!lastLine) throw new Error('the floor runner printed nothing');
  return JSON.parse(lastLine) as FloorMeasurement;
}

let clockTicks: number | undefined;

/** CPU time, in milliseconds, a local process has used (0 where /proc cannot tell). */
function processCpuMs(pid: number): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return 0;
  }
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN) : Number.NaN;

/** The child process: reads a RunnerConfig on stdin, prints one JSON line of FloorMeasurement. */
async function runner() {
  const config = JSON.parse(readFileSync(0, 'utf8')) as RunnerConfig;
  // The server settings of the gateway's connections (generic plans, no JIT): the same database.
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: config.poolSize,
    options: preparedStatementOptions(config.databaseUrl),
  });
  /** The backends of the pool's connections, whose CPU the measured seconds spend. */
  const backends = new Set<number>();
  pool.on('connect', (client) => {
    const pid = (client as unknown as { processID?: number }).processID;
    if (pid) backends.add(pid);
  });
  const waves = config.waves.map((wave) =>
    wave.map((s) => ({
      query: {
        text: s.text,
        values: s.values.map(decodeValue),
        ...(config.prepared ? { name: `floor_${createHash('sha1').update(s.text).digest('hex').slice(0, 16)}` } : {}),
      } satisfies pg.QueryConfig,
      shape: s.shape,
    })),
  );
  /** A statement's rows as the answer holds them: cut to its shape, or the rows as they are. */
  const answered = (rows: Record<string, unknown>[], shape: AnswerShape): unknown =>
    config.answer === 'rows' ? rows : projected(rows, shape);
  /** One floor request: the waves in order, a wave's statements together, then the answer serialized. */
  const request = async () => {
    const answer: unknown[] = [];
    for (const wave of waves) {
      const results = await Promise.all(wave.map((statement) => pool.query<Record<string, unknown>>(statement.query)));
      for (const [i, result] of results.entries()) answer.push(answered(result.rows, wave[i]?.shape ?? {}));
    }
    return JSON.stringify(answer).length;
  };
  let answerBytes = 0;
  const load = async (seconds: number, latencies: number[] | null) => {
    const until = performance.now() + seconds * 1000;
    let completed = 0;
    await Promise.all(
      Array.from({ length: config.connections }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          answerBytes = await request();
          latencies?.push(performance.now() - started);
          completed++;
        }
      }),
    );
    return completed;
  };
  await load(config.warmupSeconds, null);
  const latencies: number[] = [];
  const backendsBefore = new Map([...backends].map((pid) => [pid, processCpuMs(pid)]));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const total = await load(config.seconds, latencies);
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const databaseMs = [...backends].reduce((sum, pid) => sum + processCpuMs(pid) - (backendsBefore.get(pid) ?? 0), 0);
  await pool.end();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  const perRequest = (ms: number) => (total > 0 ? ms / total : Number.NaN);
  const result: FloorMeasurement = {
    requestsPerSecond: total / elapsedSeconds,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    cpuMsPerRequest: perRequest((cpu.user + cpu.system) / 1000),
    statements: waves.flat().length,
    total,
    databaseCpuMsPerRequest: perRequest(databaseMs),
    answerBytes,
  };
  console.log(JSON.stringify(result));
}

/** `npx tsx bench/floor.ts`: the captured statements, then the plain and prepared floors, alternating per round. */
async function main() {
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const positive = (name: string, fallback: number) => {
    const value = Number(option(name));
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const { databaseUrl: benchDatabaseUrl } = await import('./harness.js');
  const consolePage = scenarios({ root: '', fa: '' }, keyCount(DATASETS.large)).find((s) => s.name === 'consolePage');
  const url = option('--database-url') ?? process.env.BENCH_FLOOR_URL ?? benchDatabaseUrl(DATASETS.large.database);
  const connections = positive('--connections', consolePage?.load.connections ?? 16);
  const seconds = positive('--seconds', 10);
  const rounds = Math.floor(positive('--rounds', 1));
  const answer = option('--answer') === 'rows' ? 'rows' : 'projected';

  const capture = await consolePageStatements(url);
  const statements = capture.waves.flat();
  console.log(
    `consolePage on ${new URL(url).pathname.slice(1)}: ${statements.length} statements in ${capture.waves.length} waves (gateway counted ${capture.gatewayStatements}), answer ${capture.gatewayAnswerBytes} bytes`,
  );
  capture.waves.forEach((wave, i) => {
    console.log(`  wave ${i + 1}`);
    for (const s of wave) {
      const text = s.text.replace(/\s+/g, ' ');
      console.log(
        `    ${s.startMs.toFixed(2).padStart(7)} → ${s.endMs.toFixed(2).padStart(7)} ms  ${String(s.rows).padStart(3)} rows  ${s.values.length} params${s.preparedByGateway ? '  (prepared by the gateway)' : ''}  ${text.length > 110 ? `${text.slice(0, 107)}...` : text}`,
      );
      if (answer === 'projected') console.log(`${' '.repeat(30)}answered columns: ${shapeText(s.shape)}`);
    }
  });
  console.log(
    `floor: pool ${GATEWAY_POOL_SIZE}, ${connections} connections, ${seconds} s per variant and round, ${rounds} round(s), answer: ${answer === 'rows' ? 'every column of the rows' : 'the answered columns'}`,
  );
  const results: Record<'plain' | 'prepared', FloorMeasurement[]> = { plain: [], prepared: [] };
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 ? (['prepared', 'plain'] as const) : (['plain', 'prepared'] as const)) {
      const m = await measureFloor({ databaseUrl: url, connections, seconds, prepared: variant === 'prepared', answer });
      results[variant].push(m);
      console.log(
        `  ${variant.padEnd(8)} ${m.requestsPerSecond.toFixed(0).padStart(5)} req/s  p50 ${m.p50.toFixed(2)} ms  p99 ${m.p99.toFixed(2)} ms  ` +
          `cpu ${m.cpuMsPerRequest.toFixed(2)} ms (runner) + ${m.databaseCpuMsPerRequest.toFixed(2)} ms (postgres) per request  ${m.statements} stmts  answer ${m.answerBytes} chars`,
      );
    }
  }
  if (rounds > 1) {
    for (const variant of ['plain', 'prepared'] as const) {
      const ms = results[variant];
      const mean = (figure: (m: FloorMeasurement) => number) => ms.reduce((sum, m) => sum + figure(m), 0) / ms.length;
      console.log(
        `  ${`${variant} mean`.padEnd(13)} ${mean((m) => m.requestsPerSecond)
          .toFixed(0)
          .padStart(
            5,
          )} req/s  cpu ${mean((m) => m.cpuMsPerRequest).toFixed(2)} ms + ${mean((m) => m.databaseCpuMsPerRequest).toFixed(2)} ms per request`,
      );
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === THIS_FILE) {
  if (process.argv.includes('--runner')) await runner();
  else await main();
}
