/**
 * `npm run bench:compare -- <revision>[,<node option>…] … [--scenario consolePage|authorizeModelCall|…] [--dataset small] [--rounds 6] [--seconds 6]`:
 * one scenario on several builds side by side, rounds alternating which goes first, each build
 * on its own copy of the small dataset (bench/builds.ts), or all on the large one (`--dataset
 * large`, for builds with the same migrations). `.` is this checkout (built first); a
 * revision is any commit git knows; Node options follow a comma (`.,--max-semi-space-size=64`:
 * this build with a 64 MB young generation). Prints
 * requests per second, the gateway's CPU per request (with the kernel's share of it), the
 * database's and the load generator's (which share the machine's cores), the gateway's largest
 * RSS, and the ratios to the first entry, overall and round by round.
 */
import { execFileSync } from 'node:child_process';
import { BENCH_FA_LOGIN, BENCH_ROOT_EMAIL, DATASETS, keyCount } from './dataset.js';
import { commitOf, migrationsOf, startBuild } from './builds.js';
import {
  backendsCpuMs,
  backendsCpuSince,
  cpuTimesMs,
  databaseUrl,
  login,
  prepare,
  required,
  rssMb,
  runLoad,
  startServer,
  type Server,
} from './harness.js';
import { modelCallScenarios, scenarios } from './scenarios.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const scenarioName = option('--scenario') ?? 'consolePage';
const datasetName = option('--dataset') ?? 'small';
if (datasetName !== 'small' && datasetName !== 'large') throw new Error('--dataset is small or large');
const dataset = DATASETS[datasetName];
const rounds = Number(option('--rounds') ?? 6);
const seconds = Number(option('--seconds') ?? 6);
if (args.length < 2) throw new Error('usage: npm run bench:compare -- <revision>[,<node option>…] <revision>[,…] …');

interface Contender {
  label: string;
  server: Server;
  database: string;
  totals: {
    requests: number;
    seconds: number;
    gatewayMs: number;
    gatewaySystemMs: number;
    databaseMs: number;
    loadMs: number;
    maxRssMb: number;
  };
  rounds: number[];
}

const contenders: Contender[] = [];
let port = 4450;
for (const entry of args) {
  const [revision = '.', ...nodeOptions] = entry.split(',');
  const options = nodeOptions.length ? nodeOptions : undefined;
  let server: Server | null;
  if (revision === '.') {
    execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
    await prepare(dataset);
    server = await startServer(port++, { DATABASE_URL: databaseUrl(dataset.database), REDIS_URL: undefined }, '.', options);
  } else if (datasetName === 'large') {
    // The large dataset is too big for a copy per build: builds share this checkout's, so their migrations must be the same.
    const commit = commitOf(revision);
    if (migrationsOf(commit) !== migrationsOf('.'))
      throw new Error(`${revision} has other migrations than this checkout: compare it on the small dataset`);
    await prepare(dataset);
    server = await startBuild(commit, port++, options, dataset.database);
  } else {
    server = await startBuild(commitOf(revision), port++, options);
  }
  const built = required(server, `a build of ${revision}`);
  contenders.push({
    label: entry,
    server: built,
    database: required(built.database, 'the database of a benchmarked server'),
    totals: { requests: 0, seconds: 0, gatewayMs: 0, gatewaySystemMs: 0, databaseMs: 0, loadMs: 0, maxRssMb: 0 },
    rounds: [],
  });
}

// authorizeModelCall and recordModelUsage are `npm run bench`'s, on the same random keys as its modelAccess (one model).
const scenarioOf = async (server: Server) =>
  required(
    [
      ...scenarios({ root: await login(server.url, BENCH_ROOT_EMAIL), fa: await login(server.url, BENCH_FA_LOGIN) }, keyCount(dataset)),
      ...modelCallScenarios(keyCount(dataset)).filter((s) => s.name !== 'modelAccess'),
    ].find((s) => s.name === scenarioName),
    `the scenario ${scenarioName}`,
  );
const loads = await Promise.all(contenders.map(async (c) => (await scenarioOf(c.server)).load));
for (const [i, c] of contenders.entries()) await runLoad({ url: c.server.url, seconds: 3, ...loads[i] });
for (let round = 0; round < rounds; round++) {
  const order = [...contenders.keys()];
  if (round % 2) order.reverse();
  for (const i of order) {
    const c = required(contenders[i], 'a contender');
    const databaseBefore = await backendsCpuMs(c.database);
    const gatewayBefore = cpuTimesMs(c.server.pid);
    const sampler = setInterval(() => (c.totals.maxRssMb = Math.max(c.totals.maxRssMb, rssMb(c.server.pid))), 250);
    const result = await runLoad({ url: c.server.url, seconds, ...loads[i] });
    clearInterval(sampler);
    const gatewayAfter = cpuTimesMs(c.server.pid);
    c.totals.gatewayMs += gatewayAfter.user + gatewayAfter.system - gatewayBefore.user - gatewayBefore.system;
    c.totals.gatewaySystemMs += gatewayAfter.system - gatewayBefore.system;
    c.totals.loadMs += result.cpuMs;
    c.totals.databaseMs += backendsCpuSince(databaseBefore, await backendsCpuMs(c.database));
    c.totals.requests += result.total;
    c.totals.seconds += seconds;
    c.rounds.push(result.requestsPerSecond);
    if (result.errors || result.non2xx)
      throw new Error(`${c.label}: ${result.errors + result.non2xx} failed requests (${result.firstError})`);
  }
}
await Promise.all(contenders.map((c) => c.server.stop()));

const first = required(contenders[0], 'a first contender');
const rate = (c: Contender) => c.totals.requests / c.totals.seconds;
console.log(`\n${scenarioName} on the ${datasetName} dataset, ${rounds} rounds × ${seconds} s, alternating (${new Date().toISOString()}):`);
for (const c of contenders) {
  const perRequest = (ms: number) => (ms / c.totals.requests).toFixed(2);
  const roundRatios = c.rounds.map((r, i) => (r / required(first.rounds[i], 'a round')).toFixed(2));
  const kernelShare = ((100 * c.totals.gatewaySystemMs) / c.totals.gatewayMs).toFixed(0);
  console.log(
    `  ${c.label.padEnd(40)} ${rate(c).toFixed(0).padStart(5)} req/s  gateway ${perRequest(c.totals.gatewayMs)} ms (${kernelShare}% kernel)  database ${perRequest(c.totals.databaseMs)} ms  load generator ${perRequest(c.totals.loadMs)} ms  RSS ${c.totals.maxRssMb.toFixed(0)} MB` +
      `  → ${(rate(c) / rate(first)).toFixed(2)} × (rounds ${roundRatios.join(' ')})`,
  );
}
