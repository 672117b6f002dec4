/**
 * `npm run soak [-- --minutes N]` (default 10): mixed load on the built server (production
 * settings, the small dataset on the local PostgreSQL), bounded in time and request count.
 * Passes when there is no 5xx, RSS stays flat and no database connection leaks.
 */
import { execFileSync } from 'node:child_process';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { BENCH_FA_LOGIN, BENCH_ROOT_EMAIL, DATASETS, keyCount } from './dataset.js';
import { ADMIN_URL, databaseUrl, login, prepare, required, resetMutationWorkspace, rssMb, runLoad, startServer } from './harness.js';
import { scenarios } from './scenarios.js';

const minutesArg = process.argv.indexOf('--minutes');
const minutes = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 10;
const dataset = DATASETS.small;

async function connectionsTo(database: string): Promise<number> {
  const admin = new Kysely<Record<string, never>>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: ADMIN_URL, max: 1 }) }),
  });
  const result = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = ${database}`.execute(admin);
  await admin.destroy();
  return required(result.rows[0], 'the count of connections').n;
}

execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
await prepare(dataset);
const server = await startServer(4395, { DATABASE_URL: databaseUrl(dataset.database) });
const tokens = { root: await login(server.url, BENCH_ROOT_EMAIL), fa: await login(server.url, BENCH_FA_LOGIN) };
const mix = scenarios(tokens, keyCount(dataset)).filter((s) => s.name !== 'ceiling');
const connectionsBefore = await connectionsTo(dataset.database);

const samples: number[] = [];
/** The highest RSS seen while each scenario ran: where a peak comes from. */
const peaks: Record<string, number> = {};
let running = 'start';
const sampler = setInterval(() => {
  const rss = rssMb(server.pid);
  samples.push(rss);
  peaks[running] = Math.max(peaks[running] ?? 0, rss);
}, 1000);
const totals = { requests: 0, non2xx: 0, errors: 0 };
const deadline = Date.now() + minutes * 60_000;
// Rounds of 30 s through the mix, each bounded by its duration and by `amount` requests.
while (Date.now() < deadline) {
  for (const scenario of mix) {
    if (Date.now() >= deadline) break;
    const seconds = Math.max(1, Math.min(30, Math.round((deadline - Date.now()) / 1000)));
    if (scenario.name === 'mutations') await resetMutationWorkspace(dataset);
    running = scenario.name;
    const result = await runLoad({
      url: server.url,
      seconds,
      amount: 200_000,
      ...scenario.load,
      connections: Math.min(8, scenario.load.connections),
    });
    totals.requests += result.total;
    totals.non2xx += result.non2xx;
    totals.errors += result.errors;
    if (result.firstError) console.log(`${scenario.name}: ${result.firstError}`);
  }
}
clearInterval(sampler);
const connectionsAfter = await connectionsTo(dataset.database);
await server.stop();

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const warm = samples.slice(30);
const first = avg(warm.slice(0, 60));
const last = avg(warm.slice(-60));
const checks = [
  { check: 'no 5xx (non-2xx answers)', value: String(totals.non2xx), ok: totals.non2xx === 0 },
  {
    check: 'RSS flat: last minute ≤ 1.10 × first minute after warm-up',
    value: `${first.toFixed(0)} → ${last.toFixed(0)} MB`,
    ok: last <= first * 1.1,
  },
  {
    check: 'no connection leak (server connections after ≤ pool size)',
    value: `${connectionsBefore} → ${connectionsAfter}`,
    ok: connectionsAfter <= 10,
  },
];
console.log(
  `\nSoak: ${minutes} min, ${totals.requests} requests (${(totals.requests / (minutes * 60)).toFixed(0)}/s), GraphQL errors ${totals.errors}, max RSS ${Math.max(...samples).toFixed(0)} MB`,
);
console.log(
  `  peak RSS by scenario: ${Object.entries(peaks)
    .map(([name, mb]) => `${name} ${mb.toFixed(0)} MB`)
    .join(', ')}`,
);
for (const c of checks) console.log(`  ${c.ok ? 'ok    ' : 'FAILED'} ${c.check}: ${c.value}`);
process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
