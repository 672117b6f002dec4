/**
 * `npm run bench [-- --quick] [--rounds N] [--seconds N]`: seeds the datasets, starts the built
 * server as a user would (production settings) and drives each scenario with and without
 * authorization, side by side in one run. Programs' credentials (AccessKey pairs, temporary
 * keys) are measured in the same rounds as the API-key scenario doing the same work, and
 * compared with it. Prints a table and writes bench/results/latest.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREDENTIAL_COST_BOUND, scenarios, type Scenario } from './scenarios.js';
import { BENCH_FA_LOGIN, BENCH_ROOT_EMAIL, DATASETS, keyCount } from './dataset.js';
import {
  JWT_SECRET,
  backendsCpuMs,
  backendsCpuSince,
  cpuMs,
  databaseUrl,
  login,
  prepare,
  resetMutationWorkspace,
  required,
  rssMb,
  runLoad,
  startServer,
  waitUntilUp,
  type Server,
} from './harness.js';

const quick = process.argv.includes('--quick');
/** `--rounds N` and `--seconds N` (per scenario and server, split across the rounds) override the defaults. */
const option = (name: string) => {
  const at = process.argv.indexOf(name);
  const value = at > 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isInteger(value) && value > 0 ? value : undefined;
};
const SECONDS = option('--seconds') ?? (quick ? 4 : 15);
const ROUNDS = option('--rounds') ?? (quick ? 2 : 3);
const CONNECTIONS = 16;
const NAME_WIDTH = 18;
interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statements: number;
  maxRssMb: number;
  /** Requests answered. */
  total: number;
  /** CPU time per request: the server process's, and its database backends' (0 when PostgreSQL is not local). */
  serverCpuUs: number;
  databaseCpuUs: number;
  firstError?: string | null;
}

async function measure(server: Server, scenario: Scenario, seconds = SECONDS): Promise<Measurement> {
  const statements = scenario.sample ? (await scenario.sample(server.url)).statements : NaN;
  let maxRssMb = 0;
  const sampler = setInterval(() => (maxRssMb = Math.max(maxRssMb, rssMb(server.pid))), 250);
  const backendsBefore = server.database ? await backendsCpuMs(server.database) : new Map<number, number>();
  const serverBefore = cpuMs(server.pid);
  const result = await runLoad({ url: server.url, seconds, ...scenario.load });
  const serverMs = cpuMs(server.pid) - serverBefore;
  const databaseMs = server.database ? backendsCpuSince(backendsBefore, await backendsCpuMs(server.database)) : 0;
  clearInterval(sampler);
  const perRequest = (ms: number) => (result.total ? (ms * 1000) / result.total : NaN);
  return { ...result, statements, maxRssMb, serverCpuUs: perRequest(serverMs), databaseCpuUs: perRequest(databaseMs) };
}

/** Rounds are summed: requests per second is the mean, latencies the median round's. */
function combine(rounds: Measurement[]): Measurement {
  const median = (xs: number[]) => required([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)], 'the median of no rounds');
  return {
    requestsPerSecond: rounds.reduce((sum, r) => sum + r.requestsPerSecond, 0) / rounds.length,
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    statements: required(rounds[0], 'a first round').statements,
    maxRssMb: Math.max(...rounds.map((r) => r.maxRssMb)),
    total: rounds.reduce((sum, r) => sum + r.total, 0),
    // Per request over all the rounds' requests.
    serverCpuUs:
      rounds.reduce((sum, r) => sum + r.serverCpuUs * r.total, 0) /
      Math.max(
        1,
        rounds.reduce((sum, r) => sum + r.total, 0),
      ),
    databaseCpuUs:
      rounds.reduce((sum, r) => sum + r.databaseCpuUs * r.total, 0) /
      Math.max(
        1,
        rounds.reduce((sum, r) => sum + r.total, 0),
      ),
    firstError: rounds.find((r) => r.firstError)?.firstError ?? null,
  };
}

/** CPU per request, the server's and its database's: `412 + 150 µs`. */
const cpu = (m: Measurement) => `${m.serverCpuUs.toFixed(0)} + ${m.databaseCpuUs.toFixed(0)} µs`;

async function main() {
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  mkdirSync('bench/results', { recursive: true });
  const small = DATASETS.small;
  const large = quick ? DATASETS.small : DATASETS.large;
  const seeding = { small: await prepare(small), ...(quick ? {} : { large: await prepare(large) }) };

  // Embedded start: an empty PGlite data folder to the first answered request, built JS.
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-embedded-'));
  const embeddedStarted = performance.now();
  const { DATABASE_URL: _unused, ...environment } = process.env;
  const embedded = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...environment, NODE_ENV: 'production', PORT: '4390', JWT_SECRET, LOG_LEVEL: 'warn', DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitUntilUp('http://127.0.0.1:4390/graphql', 60_000);
  const embeddedStartMs = performance.now() - embeddedStarted;
  await new Promise<void>((resolve) => {
    embedded.once('exit', () => resolve());
    embedded.kill('SIGTERM');
  });
  rmSync(dataDir, { recursive: true, force: true });

  const shipped = await startServer(4391, { DATABASE_URL: databaseUrl(large.database) });
  const allowAll = await startServer(4392, { DATABASE_URL: databaseUrl(large.database), BENCH_ALLOW_ALL: 'true' });
  const smallServer = quick ? shipped : await startServer(4393, { DATABASE_URL: databaseUrl(small.database) });
  const tokens = { root: await login(shipped.url, BENCH_ROOT_EMAIL), fa: await login(shipped.url, BENCH_FA_LOGIN) };

  const rows: Array<{ scenario: string; dataset: string; authorization: string } & Measurement> = [];
  /** Each scenario's rounds on the shipped server, for the ratios taken round by round. */
  const shippedRounds = new Map<string, Measurement[]>();
  // A group's scenarios (one, most often) are measured together, round by round.
  const groups = new Map<string, Scenario[]>();
  for (const scenario of scenarios(tokens, keyCount(large))) {
    const group = scenario.group ?? scenario.name;
    groups.set(group, [...(groups.get(group) ?? []), scenario]);
  }
  for (const group of groups.values()) {
    // Shipped and allow-all alternate, round after round, so that drift hits both alike; the
    // scenarios of a group take turns going first.
    const rounds = new Map(group.map((s) => [s.name, { shipped: [] as Measurement[], 'allow-all': [] as Measurement[] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of round % 2 ? [...group].reverse() : group) {
        for (const [authorization, server] of [
          ['shipped', shipped],
          ['allow-all', allowAll],
        ] as const) {
          if (scenario.name === 'mutations') await resetMutationWorkspace(large);
          required(rounds.get(scenario.name), scenario.name)[authorization].push(
            await measure(server, scenario, Math.ceil(SECONDS / ROUNDS)),
          );
        }
      }
    }
    for (const scenario of group) {
      for (const authorization of ['shipped', 'allow-all'] as const) {
        const measured = required(rounds.get(scenario.name), scenario.name)[authorization];
        if (authorization === 'shipped') shippedRounds.set(scenario.name, measured);
        const m = combine(measured);
        rows.push({ scenario: scenario.name, dataset: large.name, authorization, ...m });
        console.log(
          `${scenario.name.padEnd(NAME_WIDTH)} ${large.name.padEnd(5)} ${authorization.padEnd(9)} ${m.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  ${m.statements} stmts  cpu ${cpu(m)}  ${m.maxRssMb.toFixed(0)} MB  errors ${m.errors + m.non2xx}${m.firstError ? ` (${m.firstError})` : ''}`,
        );
      }
    }
  }
  if (!quick) {
    for (const scenario of scenarios(tokens, keyCount(small)).filter((s) => s.name === 'modelAccess' || s.name === 'consolePage')) {
      const m = await measure(smallServer, scenario);
      rows.push({ scenario: scenario.name, dataset: small.name, authorization: 'shipped', ...m });
      console.log(
        `${scenario.name.padEnd(NAME_WIDTH)} small shipped   ${m.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms`,
      );
    }
  }

  // Memory under a steady load: the last 30 s within 10% of the first 30 s after warm-up.
  let memory: { firstMb: number; lastMb: number } | null = null;
  if (!quick) {
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMb(shipped.pid)), 1000);
    await measure(
      shipped,
      required(
        scenarios(tokens, keyCount(large)).find((s) => s.name === 'modelAccess'),
        'the modelAccess scenario',
      ),
      150,
    );
    clearInterval(sampler);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    memory = { firstMb: avg(samples.slice(30, 60)), lastMb: avg(samples.slice(-30)) };
  }

  await Promise.all([shipped.stop(), allowAll.stop(), ...(quick ? [] : [smallServer.stop()])]);

  const find = (scenario: string, authorization = 'shipped', dataset = large.name) =>
    required(
      rows.find((r) => r.scenario === scenario && r.authorization === authorization && r.dataset === dataset),
      `the measurement of ${scenario} (${authorization}, ${dataset})`,
    );
  // A program's credential against an API key doing the same work. Cost per request is the
  // inverse of throughput, so the cost ratio is the API key's requests per second over the
  // credential's; the CPU spent per request (server and database) is shown beside it.
  const credentialScenarios = scenarios(tokens, 1).filter((s) => s.apiKeyEquivalent !== undefined);
  console.log('\nCredentials (shipped, same run, interleaved rounds): cost per request relative to the API key');
  const credentialTargets = credentialScenarios.map((s) => {
    const equivalent = required(s.apiKeyEquivalent, 'the API-key equivalent');
    const [candidate, apiKey] = [find(s.name), find(equivalent)];
    const cost = apiKey.requestsPerSecond / candidate.requestsPerSecond;
    const cpuCost = (candidate.serverCpuUs + candidate.databaseCpuUs) / (apiKey.serverCpuUs + apiKey.databaseCpuUs);
    // The same ratio within each round (the two ran a few seconds apart), then the median round:
    // a burst of load from elsewhere on the machine spoils one round, not the figure.
    const [candidateRounds, apiKeyRounds] = [
      required(shippedRounds.get(s.name), s.name),
      required(shippedRounds.get(equivalent), equivalent),
    ];
    const roundCosts = candidateRounds.map(
      (r, i) => required(apiKeyRounds[i], `round ${i} of ${equivalent}`).requestsPerSecond / r.requestsPerSecond,
    );
    const medianRoundCost = required([...roundCosts].sort((a, b) => a - b)[Math.floor(roundCosts.length / 2)], 'a round');
    console.log(
      `  ${s.name.padEnd(NAME_WIDTH)} ${candidate.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${candidate.p50} ms  ${candidate.statements} stmts  cpu ${cpu(candidate)}\n` +
        `  ${`vs ${equivalent}`.padEnd(NAME_WIDTH)} ${apiKey.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${apiKey.p50} ms  ${apiKey.statements} stmts  cpu ${cpu(apiKey)}\n` +
        `  ${''.padEnd(NAME_WIDTH)} → cost ${cost.toFixed(2)} × by throughput (median round ${medianRoundCost.toFixed(2)} ×, rounds ${roundCosts.map((c) => c.toFixed(2)).join(' ')}), ${cpuCost.toFixed(2)} × by CPU per request`,
    );
    return {
      target: `${s.name}: cost ≤ ${CREDENTIAL_COST_BOUND.toFixed(2)} × ${equivalent} (API key)`,
      value: cost.toFixed(2),
      met: cost <= CREDENTIAL_COST_BOUND,
    };
  });
  const targets = [
    ...scenarios(tokens, 1).map((s) => {
      const ratio = find(s.name).requestsPerSecond / find(s.name, 'allow-all').requestsPerSecond;
      return { target: `${s.name}: authorization ≥ 0.85 × allow-all`, value: ratio.toFixed(2), met: ratio >= 0.85 };
    }),
    ...credentialTargets,
    (() => {
      const ratio = find('modelAccess').requestsPerSecond / find('ceiling').requestsPerSecond;
      return { target: 'modelAccess ≥ 0.75 × ceiling', value: ratio.toFixed(2), met: ratio >= 0.75 };
    })(),
    { target: 'consolePage ≤ 6 statements', value: String(find('consolePage').statements), met: find('consolePage').statements <= 6 },
    ...(quick
      ? []
      : ['modelAccess', 'consolePage'].map((name) => {
          const ratio = find(name).p50 / Math.max(find(name, 'shipped', small.name).p50, 0.5);
          return { target: `${name} p50 large ≤ 1.25 × small`, value: ratio.toFixed(2), met: ratio <= 1.25 };
        })),
    { target: 'RSS < 300 MB', value: Math.max(...rows.map((r) => r.maxRssMb)).toFixed(0), met: rows.every((r) => r.maxRssMb < 300) },
    ...(memory
      ? [
          {
            target: 'RSS flat (last 30 s ≤ 1.10 × first 30 s)',
            value: `${memory.firstMb.toFixed(0)} → ${memory.lastMb.toFixed(0)} MB`,
            met: memory.lastMb <= memory.firstMb * 1.1,
          },
        ]
      : []),
    { target: 'embedded start < 3 s', value: `${(embeddedStartMs / 1000).toFixed(2)} s`, met: embeddedStartMs < 3000 },
  ];
  console.log('\nTargets:');
  for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}`);

  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  writeFileSync(
    'bench/results/latest.json',
    JSON.stringify(
      {
        date: new Date().toISOString(),
        commit,
        cpus: cpus().length,
        quick,
        seconds: SECONDS,
        rounds: ROUNDS,
        connections: CONNECTIONS,
        seeding,
        rows,
        targets,
        memory,
        embeddedStartMs,
      },
      null,
      2,
    ),
  );
  console.log('\nwrote bench/results/latest.json');
}

await main();
