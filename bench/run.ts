/**
 * `npm run bench [-- --quick] [--rounds N] [--seconds N]`: seeds the datasets, starts the built
 * server as a user would (production settings) and drives each scenario with and without
 * authorization, side by side in one run. Programs' credentials (AccessKey pairs, temporary
 * keys) are measured in the same rounds as the API-key scenario doing the same work, and
 * compared with it. `authorizeModelCall` is measured against `modelAccess` on the same keys and
 * model, once per counter store (the database's table, and Redis on a second server), and its
 * counts are checked exactly after the timed rounds. Prints a table and writes
 * bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { CREDENTIAL_COST_BOUND, MODEL_CALL_TARGETS, modelCallScenarios, scenarios, type Scenario } from './scenarios.js';
import { COUNTER_STORES, checkExactCounts, redisUsage, type CounterStore } from './model-calls.js';
import { BENCH_FA_LOGIN, BENCH_ROOT_EMAIL, DATASETS, keyCount } from './dataset.js';
import { benchSizedBuffers } from './buffers.js';
import { benchReplicas } from './replicas.js';
import { measureFloor } from './floor.js';
import { BASELINE_COMMIT, startBuild } from './builds.js';
import {
  backendsCpuMs,
  backendsCpuSince,
  cpuMs,
  databaseUrl,
  login,
  prepare,
  resetMutationWorkspace,
  required,
  sharedBuffersOf,
  rssMb,
  runLoad,
  startServer,
  timeEmbeddedStart,
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
/** The Redis that the Redis-counting server keeps its model-call counters in. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
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
  /** The load generator's CPU per request: it shares the machine's cores with the server and the database. */
  loadCpuUs: number;
  /**
   * Per request, for a server whose counters are in Redis (0 otherwise): Redis's CPU time, the
   * scripts it ran (one round trip each) and the commands it processed (a script's own included).
   */
  redisCpuUs: number;
  redisScripts: number;
  redisCommands: number;
  /** Answers containing each of the scenario's `load.count` strings. */
  counts: Record<string, number>;
  firstError?: string | null;
}

async function measure(server: Server, scenario: Scenario, seconds = SECONDS): Promise<Measurement> {
  const statements = scenario.sample ? (await scenario.sample(server.url)).statements : NaN;
  let maxRssMb = 0;
  const sampler = setInterval(() => (maxRssMb = Math.max(maxRssMb, rssMb(server.pid))), 250);
  const backendsBefore = server.database ? await backendsCpuMs(server.database) : new Map<number, number>();
  const redisBefore = server.redisUrl ? await redisUsage(server.redisUrl) : null;
  const serverBefore = cpuMs(server.pid);
  const { cpuMs: loadMs, ...result } = await runLoad({ url: server.url, seconds, ...scenario.load });
  const serverMs = cpuMs(server.pid) - serverBefore;
  const redisAfter = server.redisUrl ? await redisUsage(server.redisUrl) : null;
  const databaseMs = server.database ? backendsCpuSince(backendsBefore, await backendsCpuMs(server.database)) : 0;
  clearInterval(sampler);
  const perRequest = (ms: number) => (result.total ? (ms * 1000) / result.total : NaN);
  return {
    ...result,
    statements,
    maxRssMb,
    serverCpuUs: perRequest(serverMs),
    databaseCpuUs: perRequest(databaseMs),
    loadCpuUs: perRequest(loadMs),
    redisCpuUs: redisBefore && redisAfter ? perRequest(redisAfter.cpuMs - redisBefore.cpuMs) : 0,
    redisScripts: redisBefore && redisAfter ? (redisAfter.scripts - redisBefore.scripts) / Math.max(1, result.total) : 0,
    // The second INFO counts the first.
    redisCommands: redisBefore && redisAfter ? (redisAfter.commands - redisBefore.commands - 1) / Math.max(1, result.total) : 0,
  };
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
    loadCpuUs: perRequestOver(rounds, (r) => r.loadCpuUs),
    redisCpuUs: perRequestOver(rounds, (r) => r.redisCpuUs),
    redisScripts: perRequestOver(rounds, (r) => r.redisScripts),
    redisCommands: perRequestOver(rounds, (r) => r.redisCommands),
    counts: rounds.reduce<Record<string, number>>((sum, r) => {
      for (const [name, n] of Object.entries(r.counts)) sum[name] = (sum[name] ?? 0) + n;
      return sum;
    }, {}),
    firstError: rounds.find((r) => r.firstError)?.firstError ?? null,
  };
}

/** A per-request figure over all the rounds' requests. */
const perRequestOver = (rounds: Measurement[], figure: (r: Measurement) => number) =>
  rounds.reduce((sum, r) => sum + figure(r) * r.total, 0) /
  Math.max(
    1,
    rounds.reduce((sum, r) => sum + r.total, 0),
  );

/** CPU per request, the server's and its database's (and Redis's, when it counts calls), then the load generator's: `412 + 150 µs (load 60 µs)`. */
const cpu = (m: Measurement) =>
  `${m.serverCpuUs.toFixed(0)} + ${m.databaseCpuUs.toFixed(0)}${m.redisCpuUs ? ` + ${m.redisCpuUs.toFixed(0)} (redis)` : ''} µs (load ${m.loadCpuUs.toFixed(0)} µs)`;
const countOf = (m: Measurement, name: string) => m.counts[name] ?? 0;
const cpuTotal = (m: Measurement) => m.serverCpuUs + m.databaseCpuUs + m.redisCpuUs;

async function main() {
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  mkdirSync('bench/results', { recursive: true });
  const small = DATASETS.small;
  const large = quick ? DATASETS.small : DATASETS.large;
  const seeding = { small: await prepare(small), ...(quick ? {} : { large: await prepare(large) }) };
  const sharedBuffers = await sharedBuffersOf();

  // Embedded start: an empty PGlite data folder to the first answered request, built JS.
  const embeddedStartMs = await timeEmbeddedStart();

  // Shipped counts model calls in the database (no REDIS_URL); redisCounting is the same server with REDIS_URL.
  const shipped = await startServer(4391, { DATABASE_URL: databaseUrl(large.database), REDIS_URL: undefined });
  const redisCounting = await startServer(4394, { DATABASE_URL: databaseUrl(large.database), REDIS_URL });
  const allowAll = await startServer(4392, { DATABASE_URL: databaseUrl(large.database), BENCH_ALLOW_ALL: 'true', REDIS_URL: undefined });
  const smallServer = quick ? shipped : await startServer(4393, { DATABASE_URL: databaseUrl(small.database), REDIS_URL: undefined });
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
  // The large dataset against the small one, p50 against p50: the two servers take turns, round
  // by round, so that drift hits both alike (the large side's main rounds ran minutes earlier).
  const againstSmall = new Map<string, { large: Measurement; small: Measurement }>();
  if (!quick) {
    for (const name of ['modelAccess', 'consolePage']) {
      const on = {
        large: {
          server: shipped,
          scenario: required(
            scenarios(tokens, keyCount(large)).find((s) => s.name === name),
            name,
          ),
        },
        small: {
          server: smallServer,
          scenario: required(
            scenarios(tokens, keyCount(small)).find((s) => s.name === name),
            name,
          ),
        },
      };
      const measured = { large: [] as Measurement[], small: [] as Measurement[] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of round % 2 ? (['small', 'large'] as const) : (['large', 'small'] as const)) {
          measured[side].push(await measure(on[side].server, on[side].scenario, Math.ceil(SECONDS / ROUNDS)));
        }
      }
      const m = { large: combine(measured.large), small: combine(measured.small) };
      againstSmall.set(name, m);
      rows.push({ scenario: name, dataset: small.name, authorization: 'shipped', ...m.small });
      console.log(
        `${name.padEnd(NAME_WIDTH)} small shipped   ${m.small.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.small.p50} ms  p99 ${m.small.p99} ms` +
          `  (large, same rounds: ${m.large.requestsPerSecond.toFixed(0)} req/s  p50 ${m.large.p50} ms)`,
      );
    }
  }

  // consolePage against the build before performance round 2 (bench/builds.ts), both on the
  // small dataset (the console workspace is the same in both), rounds alternating which goes first.
  const baseline = await startBuild(BASELINE_COMMIT, 4395);
  let againstBaseline: { commit: string; baseline: Measurement; current: Measurement; ratio: number } | null = null;
  if (baseline) {
    const current = quick ? shipped : smallServer;
    const consolePageOn = async (server: Server) =>
      required(
        scenarios({ root: '', fa: await login(server.url, BENCH_FA_LOGIN) }, keyCount(small)).find((s) => s.name === 'consolePage'),
        'the consolePage scenario',
      );
    const contenders = [
      { name: 'baseline', server: baseline, scenario: await consolePageOn(baseline), rounds: [] as Measurement[] },
      { name: 'current', server: current, scenario: await consolePageOn(current), rounds: [] as Measurement[] },
    ];
    for (const c of contenders) await runLoad({ url: c.server.url, seconds: quick ? 1 : 3, ...c.scenario.load });
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of round % 2 ? [...contenders].reverse() : contenders) {
        c.rounds.push(await measure(c.server, c.scenario, Math.ceil(SECONDS / ROUNDS)));
      }
    }
    await baseline.stop();
    const [before, now] = contenders.map((c) => combine(c.rounds)) as [Measurement, Measurement];
    againstBaseline = {
      commit: BASELINE_COMMIT.slice(0, 7),
      baseline: before,
      current: now,
      ratio: now.requestsPerSecond / before.requestsPerSecond,
    };
    console.log(
      `\nconsolePage against ${againstBaseline.commit} (the build before this round; small dataset, interleaved rounds):\n` +
        `  ${'baseline'.padEnd(NAME_WIDTH)} ${before.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${before.p50} ms  ${before.statements} stmts  cpu ${cpu(before)}\n` +
        `  ${'current'.padEnd(NAME_WIDTH)} ${now.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${now.p50} ms  ${now.statements} stmts  cpu ${cpu(now)}\n` +
        `  ${''.padEnd(NAME_WIDTH)} → ${againstBaseline.ratio.toFixed(2)} × the throughput, ${(now.serverCpuUs / before.serverCpuUs).toFixed(2)} × the gateway CPU per request`,
    );
  }

  // authorizeModelCall against modelAccess (issue #12) on each counter store's server, the same
  // keys and model: per round, each server measures both (which goes first alternates, and so do
  // the servers), so that drift hits a pair alike.
  const counterServers: Record<CounterStore, Server> = { postgres: shipped, redis: redisCounting };
  const modelCalls = modelCallScenarios(keyCount(large));
  const modelCallRounds = new Map(COUNTER_STORES.map((store) => [store, new Map(modelCalls.map((s) => [s.name, [] as Measurement[]]))]));
  const roundsOf = (store: CounterStore, scenario: string) =>
    required(modelCallRounds.get(store)?.get(scenario), `the rounds of ${scenario} (${store} counters)`);
  // Unmeasured first: the Redis-counting server has served nothing yet (its JIT, its pool's
  // connections and prepared statements, its Redis connection), and neither server this model's calls.
  for (const store of COUNTER_STORES) {
    for (const scenario of modelCalls) await runLoad({ url: counterServers[store].url, seconds: quick ? 1 : 3, ...scenario.load });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const store of round % 2 ? [...COUNTER_STORES].reverse() : COUNTER_STORES) {
      for (const scenario of round % 2 ? [...modelCalls].reverse() : modelCalls) {
        roundsOf(store, scenario.name).push(await measure(counterServers[store], scenario, Math.ceil(SECONDS / ROUNDS)));
      }
    }
  }
  const modelCallRows: Array<{ scenario: string; dataset: string; counters: CounterStore } & Measurement> = [];
  for (const store of COUNTER_STORES) {
    for (const scenario of modelCalls) {
      const m = combine(roundsOf(store, scenario.name));
      modelCallRows.push({ scenario: scenario.name, dataset: large.name, counters: store, ...m });
      console.log(
        `${scenario.name.padEnd(NAME_WIDTH)} ${large.name.padEnd(5)} ${store.padEnd(9)} ${m.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  ${m.statements} stmts  cpu ${cpu(m)}  ${m.maxRssMb.toFixed(0)} MB  errors ${m.errors + m.non2xx}${m.firstError ? ` (${m.firstError})` : ''}`,
      );
    }
  }
  const exactness = await checkExactCounts(counterServers, large.database, REDIS_URL, CONNECTIONS);

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

  await Promise.all([shipped.stop(), allowAll.stop(), redisCounting.stop(), ...(quick ? [] : [smallServer.stop()])]);

  // The floor: consolePage's own statements through node-pg alone (bench/floor.ts), at the
  // scenario's concurrency: what the database allows, against which the gateway is stated.
  const floorSeconds = Math.max(3, Math.ceil(SECONDS / ROUNDS));
  const floor = {
    plain: await measureFloor({
      databaseUrl: databaseUrl(large.database),
      connections: CONNECTIONS,
      seconds: floorSeconds,
      prepared: false,
    }),
    prepared: await measureFloor({
      databaseUrl: databaseUrl(large.database),
      connections: CONNECTIONS,
      seconds: floorSeconds,
      prepared: true,
    }),
  };
  console.log(
    `\nFloor (consolePage's ${floor.prepared.statements} statements through node-pg, ${CONNECTIONS} connections):\n` +
      `  plain     ${floor.plain.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${floor.plain.p50} ms  cpu ${(floor.plain.cpuMsPerRequest * 1000).toFixed(0)} µs\n` +
      `  prepared  ${floor.prepared.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${floor.prepared.p50} ms  cpu ${(floor.prepared.cpuMsPerRequest * 1000).toFixed(0)} µs`,
  );

  const find = (scenario: string, authorization = 'shipped') =>
    required(
      rows.find((r) => r.scenario === scenario && r.authorization === authorization && r.dataset === large.name),
      `the measurement of ${scenario} (${authorization}, ${large.name})`,
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
  // authorizeModelCall's requests per second over modelAccess's, on each store's server: the
  // rounds' means, and the same ratio within each round.
  console.log(
    '\nModel calls (same server, keys and model, interleaved rounds): authorizeModelCall relative to modelAccess\n' +
      "  (stmts: the request's own count, without the counter store's upsert; the exact-count calls below count both)",
  );
  const modelCallTargets = COUNTER_STORES.map((store) => {
    const row = (scenario: string) =>
      required(
        modelCallRows.find((r) => r.scenario === scenario && r.counters === store),
        `the measurement of ${scenario} (${store} counters)`,
      );
    const [call, access] = [row('authorizeModelCall'), row('modelAccess')];
    const ratio = call.requestsPerSecond / access.requestsPerSecond;
    const cpuCost = cpuTotal(call) / cpuTotal(access);
    const accessRounds = roundsOf(store, 'modelAccess');
    const roundRatios = roundsOf(store, 'authorizeModelCall').map(
      (r, i) => r.requestsPerSecond / required(accessRounds[i], `round ${i} of modelAccess`).requestsPerSecond,
    );
    const medianRound = required([...roundRatios].sort((a, b) => a - b)[Math.floor(roundRatios.length / 2)], 'a round');
    const allowedShare = (m: Measurement) => `${((countOf(m, 'allowed') / Math.max(1, m.total)) * 100).toFixed(1)}% allowed`;
    const line = (name: string, m: Measurement) =>
      `  ${name.padEnd(NAME_WIDTH)} ${m.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  ${m.statements} stmts${m.redisScripts || m.redisCommands ? `  redis ${m.redisScripts.toFixed(2)} scripts ${m.redisCommands.toFixed(2)} commands` : ''}  cpu ${cpu(m)}  ${allowedShare(m)}`;
    console.log(
      `  ${store} counters
${line('authorizeModelCall', call)}
${line('modelAccess', access)}
` +
        `  ${''.padEnd(NAME_WIDTH)} → ${ratio.toFixed(2)} × by throughput (median round ${medianRound.toFixed(2)} ×, rounds ${roundRatios.map((r) => r.toFixed(2)).join(' ')}), ${cpuCost.toFixed(2)} × the CPU per request`,
    );
    // A proxy's whole call is two requests: authorized, then recorded.
    const whole = row('recordModelUsage');
    console.log(
      `  ${'recordModelUsage'.padEnd(NAME_WIDTH)} ${(whole.requestsPerSecond / 2).toFixed(0).padStart(6)} calls/s authorized and recorded (${whole.requestsPerSecond.toFixed(0)} req/s)  cpu ${cpu(whole)} per request  → ${(whole.requestsPerSecond / 2 / call.requestsPerSecond).toFixed(2)} × authorizeModelCall's calls`,
    );
    const bound = MODEL_CALL_TARGETS[store];
    return {
      target: `authorizeModelCall (${store} counters) ≥ ${bound.toFixed(2)} × modelAccess`,
      value: ratio.toFixed(2),
      met: ratio >= bound,
    };
  });
  console.log(
    `\nExact counts (${exactness[0]?.calls} concurrent calls over ${CONNECTIONS} connections against a request limit, fresh counter):`,
  );
  for (const e of exactness) {
    console.log(
      `  ${e.store.padEnd(9)} ${e.workspace} ${e.model} limit ${e.budget}: allowed ${e.allowed} of ${e.answered} answers (RATE_LIMITED ${e.rateLimited}, errors ${e.errors}), ` +
        `counter ${e.counter ?? 'absent'}${e.countedInOtherStore ? ' (also counted in the other store!)' : ''}; per call ${e.statementsPerCall.toFixed(2)} SQL statements, ${e.redisScriptsPerCall.toFixed(2)} Redis scripts (${e.redisCommandsPerCall.toFixed(2)} commands); ${e.callsPerSecond.toFixed(0)} calls/s`,
    );
  }
  const exactnessTargets = exactness.map((e) => ({
    target: `authorizeModelCall exact (${e.store} counters): allowed = limit of ${e.calls} concurrent calls, counter ≥ limit`,
    value: `${e.allowed}/${e.budget}, counter ${e.counter ?? 'absent'}`,
    met: e.met,
  }));
  const targets = [
    ...scenarios(tokens, 1).map((s) => {
      const ratio = find(s.name).requestsPerSecond / find(s.name, 'allow-all').requestsPerSecond;
      return { target: `${s.name}: authorization ≥ 0.9 × allow-all`, value: ratio.toFixed(2), met: ratio >= 0.9 };
    }),
    ...credentialTargets,
    ...modelCallTargets,
    ...exactnessTargets,
    (() => {
      const ratio = find('modelAccess').requestsPerSecond / find('ceiling').requestsPerSecond;
      return { target: 'modelAccess ≥ 0.85 × ceiling', value: ratio.toFixed(2), met: ratio >= 0.85 };
    })(),
    againstBaseline
      ? {
          target: `consolePage ≥ 2.5 × the build before round 2 (${againstBaseline.commit})`,
          value: againstBaseline.ratio.toFixed(2),
          met: againstBaseline.ratio >= 2.5,
        }
      : { target: 'consolePage ≥ 2.5 × the build before round 2', value: 'not measured (no baseline build)', met: false },
    { target: 'consolePage ≤ 6 statements', value: String(find('consolePage').statements), met: find('consolePage').statements <= 6 },
    (() => {
      const ratio = find('consolePage').requestsPerSecond / floor.prepared.requestsPerSecond;
      return { target: 'consolePage ≥ 0.6 × the node-pg floor (prepared)', value: ratio.toFixed(2), met: ratio >= 0.6 };
    })(),
    {
      target: 'consolePage gateway CPU ≤ 6 ms per request',
      value: `${(find('consolePage').serverCpuUs / 1000).toFixed(1)} ms`,
      met: find('consolePage').serverCpuUs <= 6000,
    },
    ...(quick
      ? []
      : ['modelAccess', 'consolePage'].map((name) => {
          const { large: onLarge, small: onSmall } = required(againstSmall.get(name), name);
          const ratio = onLarge.p50 / Math.max(onSmall.p50, 0.01);
          return {
            target: `${name} p50 large ≤ 1.25 × small, this machine's shared_buffers ${sharedBuffers}`,
            value: ratio.toFixed(2),
            met: ratio <= 1.25,
          };
        })),
    {
      target: 'RSS < 300 MB',
      value: Math.max(...[...rows, ...modelCallRows].map((r) => r.maxRssMb)).toFixed(0),
      met: [...rows, ...modelCallRows].every((r) => r.maxRssMb < 300),
    },
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
        modelCalls: { rows: modelCallRows, exactness },
        floor,
        againstBaseline,
        targets,
        memory,
        embeddedStartMs,
      },
      null,
      2,
    ),
  );
  console.log('\nwrote bench/results/latest.json');

  // Read replicas (issue #15): a cluster of its own, its figures and targets added to latest.json.
  await benchReplicas({ quick, mergeInto: 'bench/results/latest.json' });
  // The key lookup with PostgreSQL's buffers sized and prewarmed as docs/deployment.md says: a server of its own.
  await benchSizedBuffers({ quick, mergeInto: 'bench/results/latest.json' });
}

await main();
