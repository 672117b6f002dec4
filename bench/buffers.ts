/**
 * modelAccess at 1M keys against 1k keys on a PostgreSQL whose buffers are sized and prewarmed as
 * docs/deployment.md says (issue #16: the key lookup's pages warm, and cold): a server of the
 * benchmark's own (test/helpers/private-postgres.ts, Debian's binaries) with `shared_buffers` of
 * SHARED_BUFFERS, both datasets seeded on it. It is restarted, so that its buffers are empty (the
 * OS cache still holds the files: `prepare` read them), and the large dataset's gateway serves one
 * round cold; then the hot set is loaded with `pg_prewarm`, and the two datasets' gateways take
 * turns, round by round, so that drift hits both alike.
 *
 * `npm run bench:buffers [-- --rounds N] [--seconds N]` alone (writes bench/results/buffers.json),
 * or at the end of `npm run bench` (also into latest.json).
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from '../test/helpers/private-postgres.js';
import { BENCH_ROOT_EMAIL, DATASETS, keyCount, type Dataset } from './dataset.js';
import {
  cpuMs,
  databaseUrl,
  login,
  postgresCpuMs,
  prepare,
  required,
  runLoad,
  runPartAlone,
  startServer,
  writePartResults,
  type BenchPartOptions,
  type Server,
} from './harness.js';
import { scenarios, type Scenario } from './scenarios.js';

/** What docs/deployment.md asks for 1M keys (a hot set of about 0.55 GB), as 25% of a 4 GB machine. */
const SHARED_BUFFERS = '1GB';

/**
 * The relations an API key's lookup (and its last-use stamp) reads at random, by the plan that
 * `npm run bench:explain` prints: docs/deployment.md's `pg_prewarm` list is this one.
 */
export const KEY_LOOKUP_HOT_SET = [
  'api_key_secret_prefix_idx',
  'api_key_previous_secret_hash_key',
  'api_key',
  'api_key_pkey',
  'principal_pkey',
  'principal',
  'account_pkey',
  'account',
  'workspace_pkey',
  'workspace',
  'membership_principal_idx',
  'policy_attachment_pkey',
  'model_authorization_pkey',
  'model_authorization',
  'model_rate_limit_pkey',
  'model_rate_limit',
] as const;

interface Window {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  /** CPU per request, µs: the gateway's, and the whole PostgreSQL server's. */
  gatewayCpuUs: number;
  databaseCpuUs: number;
}

async function measure(server: Server, scenario: Scenario, postgres: PrivatePostgres, seconds: number): Promise<Window> {
  const [gatewayBefore, databaseBefore] = [cpuMs(server.pid), postgresCpuMs(postgres.dir)];
  const result = await runLoad({ url: server.url, seconds, ...scenario.load });
  if (result.errors || result.non2xx) throw new Error(`${result.errors + result.non2xx} failed requests (${result.firstError})`);
  const perRequest = (ms: number) => (ms * 1000) / Math.max(1, result.total);
  return {
    requestsPerSecond: result.requestsPerSecond,
    total: result.total,
    p50: result.p50,
    p99: result.p99,
    gatewayCpuUs: perRequest(cpuMs(server.pid) - gatewayBefore),
    databaseCpuUs: perRequest(postgresCpuMs(postgres.dir) - databaseBefore),
  };
}

function combine(windows: Window[]): Window {
  const median = (xs: number[]) => required([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)], 'the median of no rounds');
  const total = windows.reduce((sum, w) => sum + w.total, 0);
  const perRequest = (figure: (w: Window) => number) => windows.reduce((sum, w) => sum + figure(w) * w.total, 0) / Math.max(1, total);
  return {
    requestsPerSecond: windows.reduce((sum, w) => sum + w.requestsPerSecond, 0) / windows.length,
    total,
    p50: median(windows.map((w) => w.p50)),
    p99: median(windows.map((w) => w.p99)),
    gatewayCpuUs: perRequest((w) => w.gatewayCpuUs),
    databaseCpuUs: perRequest((w) => w.databaseCpuUs),
  };
}

/** Loads the relations into the server's buffers; returns the megabytes loaded. */
async function prewarm(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ blocks: number }>(
      `select coalesce(sum(pg_prewarm(c::regclass, 'buffer')), 0)::int as blocks from unnest($1::text[]) as c`,
      [KEY_LOOKUP_HOT_SET],
    );
    return ((rows[0]?.blocks ?? 0) * 8) / 1024;
  } finally {
    await client.end();
  }
}

export async function benchSizedBuffers(options: BenchPartOptions) {
  const rounds = options.rounds ?? (options.quick ? 2 : 4);
  const seconds = options.seconds ?? (options.quick ? 4 : 12);
  const roundSeconds = Math.max(1, Math.ceil(seconds / rounds));
  if (options.build) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  // The quick run seeds the small dataset only: both sides are 1k keys, the flow is checked.
  const datasets: Record<'large' | 'small', Dataset> = { large: options.quick ? DATASETS.small : DATASETS.large, small: DATASETS.small };
  const postgres = await startPrivatePostgres({ shared_buffers: SHARED_BUFFERS });
  const gateways: Server[] = [];
  try {
    for (const dataset of new Set(Object.values(datasets))) await prepare(dataset, postgres.url);
    // Empty buffers: what a lookup then reads comes from the OS cache.
    await postgres.stop();
    await postgres.start();
    let port = 4470;
    const on = async (dataset: Dataset) => {
      const url = databaseUrl(dataset.database, postgres.url);
      const server = await startServer(port++, { DATABASE_URL: url, REDIS_URL: undefined });
      gateways.push(server);
      const all = scenarios({ root: await login(server.url, BENCH_ROOT_EMAIL), fa: '' }, keyCount(dataset));
      const named = (name: string) =>
        required(
          all.find((s) => s.name === name),
          `the ${name} scenario`,
        );
      return { server, url, scenario: named('modelAccess'), ceiling: named('ceiling') };
    };
    const large = await on(datasets.large);
    const small = await on(datasets.small);
    // The gateway's code warmed by requests that read no key: the cold round measures the buffers.
    await runLoad({ url: large.server.url, seconds: 2, ...large.ceiling.load });
    const cold = await measure(large.server, large.scenario, postgres, roundSeconds);
    const prewarmedMb = await prewarm(large.url);
    await runLoad({ url: small.server.url, seconds: 2, ...small.scenario.load });
    const measured = { large: [] as Window[], small: [] as Window[] };
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 ? (['small', 'large'] as const) : (['large', 'small'] as const)) {
        const { server, scenario } = side === 'large' ? large : small;
        measured[side].push(await measure(server, scenario, postgres, roundSeconds));
      }
    }
    const warm = { large: combine(measured.large), small: combine(measured.small) };
    const ratio = warm.large.p50 / Math.max(warm.small.p50, 0.01);
    const line = (name: string, w: Window) =>
      `  ${name.padEnd(34)} ${w.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${w.p50} ms  p99 ${w.p99} ms  cpu ${(w.gatewayCpuUs / 1000).toFixed(2)} + ${(w.databaseCpuUs / 1000).toFixed(2)} ms`;
    console.log(
      `\nmodelAccess, shared_buffers ${SHARED_BUFFERS} (docs/deployment.md), ${rounds} rounds × ${roundSeconds} s:\n` +
        `${line(`${datasets.large.name}, cold (after a restart)`, cold)}\n` +
        `  (prewarmed: ${prewarmedMb.toFixed(0)} MB, the hot set of ${datasets.large.name})\n` +
        `${line(`${datasets.large.name}, warm`, warm.large)}\n` +
        `${line(`${datasets.small.name}, warm, same rounds`, warm.small)}`,
    );
    const targets = options.quick
      ? []
      : [
          {
            target: `modelAccess p50 large ≤ 1.25 × small, shared_buffers ${SHARED_BUFFERS} prewarmed (docs/deployment.md)`,
            value: ratio.toFixed(2),
            met: ratio <= 1.25,
          },
        ];
    for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}`);
    const results = { date: new Date().toISOString(), sharedBuffers: SHARED_BUFFERS, prewarmedMb, cold, warm, targets };
    writePartResults('buffers', results, options.mergeInto);
    return results;
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    await postgres.destroy();
  }
}

await runPartAlone(import.meta.url, benchSizedBuffers);
