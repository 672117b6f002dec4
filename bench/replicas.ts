/**
 * Read replicas (issue #15): the read scenarios through gateways on one PostgreSQL primary, with
 * no replica, with a streaming replica (the freshness check: a read goes to the replica only
 * once it has replayed past the consistency watermark), with the same replica read blindly
 * (BENCH_BLIND_REPLICA_READS: no check, the check's cost is the difference) and, when Redis
 * answers, with the watermark in Redis. All in one run, round by round in alternating order, so
 * that the ratios are not drifts between minutes of the run.
 *
 * The primary and its replica are a cluster of the benchmark's own (test/helpers/replication-
 * cluster.ts: initdb, pg_basebackup, Debian's binaries), on this machine: their CPU is read from
 * /proc (each postmaster and its children), so the table says where the database work went.
 *
 * `npm run bench:replicas [-- --quick] [--rounds N] [--seconds N]` alone (writes
 * bench/results/replicas.json), or at the end of `npm run bench` (also into latest.json).
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '../test/helpers/private-postgres.js';
import { startReplicationCluster, type ReplicationCluster } from '../test/helpers/replication-cluster.js';
import { BENCH_FA_LOGIN, BENCH_ROOT_EMAIL, DATASETS, keyCount, type Dataset } from './dataset.js';
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

/** The read-only scenarios: an API key's question, a member's read of its workspace (viewer included), the console page. */
const READ_SCENARIOS = ['modelAccess', 'workspaceApiKey', 'consolePage'] as const;
const CONFIGURATIONS = ['none', 'replica', 'blind', 'replica+redis'] as const;
type Configuration = (typeof CONFIGURATIONS)[number];
/** The small dataset's shape, in a database of its own on the cluster's primary. */
const DATASET: Dataset = { ...DATASETS.small, database: 'bench_replicas' };
/** The Redis of the `replica+redis` gateway (its watermark's key names the primary's cluster: this run's own). */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The throughput ratio of the freshness check over blind replica reads below which its cost exceeds 10% (issue #15). */
const FRESHNESS_BOUND = 0.9;
const NAME_WIDTH = 16;

/** One measurement window: a scenario's load on one gateway. */
interface Window {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  firstError: string | null;
  /** CPU used during the window, in ms: the gateway process, the primary's and the replica's postmaster and children. */
  gatewayCpuMs: number;
  primaryCpuMs: number;
  replicaCpuMs: number;
  /** `gateway_database_reads_total` increments during the window, by `reader/reason`. */
  reads: Record<string, number>;
}

interface Row {
  scenario: string;
  configuration: Configuration;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
  firstError: string | null;
  statements: number;
  /** CPU per request, µs. */
  gatewayCpuUs: number;
  primaryCpuUs: number;
  replicaCpuUs: number;
  /** The primary's part of the database CPU (primary + replica) during this configuration's windows. */
  primaryCpuShare: number;
  reads: Record<string, number>;
  /** The requests read from the replica, by the gateway's own count. */
  replicaReadShare: number;
  /**
   * Transactions (one per autocommit statement) per request on each server, counted by
   * PostgreSQL (pg_stat_database) in a load of its own after the timed rounds (full runs only):
   * where the statements went, without the noise of a shared machine.
   */
  primaryTransactions: number;
  replicaTransactions: number;
  rounds: number[];
}

/** `gateway_database_reads_total` by `reader/reason`, from the gateway's /metrics. */
async function readsOf(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const reads: Record<string, number> = {};
  for (const match of text.matchAll(/^gateway_database_reads_total\{([^}]*)\}\s+(\S+)$/gm)) {
    const labels = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    reads[`${labels.reader}/${labels.reason}`] = Number(match[2]);
  }
  return reads;
}

const difference = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );

/** Transactions committed or rolled back so far in the database of `url`, by the server's statistics. */
async function transactionsOf(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = current_database()',
    );
    return Number(rows[0]?.n ?? NaN);
  } finally {
    await client.end();
  }
}

/**
 * A backend reports its statistics when it goes idle, but at most once a second; one that went
 * idle sooner reports them 10 s later (PostgreSQL 15's PGSTAT_IDLE_INTERVAL). After this long
 * the counts include every statement finished before.
 */
const STATISTICS_DELAY_MS = 11_000;
/** How long each server's transactions are counted, per scenario and configuration. */
const COUNTED_SECONDS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const median = (xs: number[]) => required([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)], 'the median of no rounds');

interface Gateway {
  configuration: Configuration;
  server: Server;
  metricsUrl: string;
}

async function measure(gateway: Gateway, scenario: Scenario, cluster: ReplicationCluster, seconds: number): Promise<Window> {
  const readsBefore = await readsOf(gateway.metricsUrl);
  const primaryBefore = postgresCpuMs(cluster.primary.dir);
  const replicaBefore = postgresCpuMs(cluster.replica.dir);
  const gatewayBefore = cpuMs(gateway.server.pid);
  const result = await runLoad({ url: gateway.server.url, seconds, ...scenario.load });
  const gatewayCpuMs = cpuMs(gateway.server.pid) - gatewayBefore;
  const primaryCpuMs = postgresCpuMs(cluster.primary.dir) - primaryBefore;
  const replicaCpuMs = postgresCpuMs(cluster.replica.dir) - replicaBefore;
  const reads = difference(readsBefore, await readsOf(gateway.metricsUrl));
  return { ...result, gatewayCpuMs, primaryCpuMs, replicaCpuMs, reads };
}

function combine(
  scenario: string,
  configuration: Configuration,
  windows: Window[],
  statements: number,
  transactions: { primary: number; replica: number },
): Row {
  const sum = (figure: (w: Window) => number) => windows.reduce((total, w) => total + figure(w), 0);
  const total = sum((w) => w.total);
  const perRequest = (ms: number) => (total ? (ms * 1000) / total : NaN);
  const reads: Record<string, number> = {};
  for (const w of windows) for (const [key, n] of Object.entries(w.reads)) reads[key] = (reads[key] ?? 0) + n;
  const readCount = Object.values(reads).reduce((a, b) => a + b, 0);
  const replicaReads = Object.entries(reads).reduce((n, [key, count]) => n + (key.startsWith('replica/') ? count : 0), 0);
  const primaryMs = sum((w) => w.primaryCpuMs);
  const replicaMs = sum((w) => w.replicaCpuMs);
  return {
    scenario,
    configuration,
    requestsPerSecond: sum((w) => w.requestsPerSecond) / windows.length,
    p50: median(windows.map((w) => w.p50)),
    p99: median(windows.map((w) => w.p99)),
    total,
    errors: sum((w) => w.errors + w.non2xx),
    firstError: windows.find((w) => w.firstError)?.firstError ?? null,
    statements,
    gatewayCpuUs: perRequest(sum((w) => w.gatewayCpuMs)),
    primaryCpuUs: perRequest(primaryMs),
    replicaCpuUs: perRequest(replicaMs),
    primaryCpuShare: primaryMs / Math.max(1e-9, primaryMs + replicaMs),
    reads,
    replicaReadShare: readCount ? replicaReads / readCount : 0,
    primaryTransactions: transactions.primary,
    replicaTransactions: transactions.replica,
    rounds: windows.map((w) => w.requestsPerSecond),
  };
}

/** CPU per request, all of it: the gateway's, the primary's and the replica's. */
const cpuTotal = (row: Row) => row.gatewayCpuUs + row.primaryCpuUs + row.replicaCpuUs;
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const readsText = (row: Row) => {
  const total = Object.values(row.reads).reduce((a, b) => a + b, 0);
  return (
    Object.entries(row.reads)
      .sort(([, a], [, b]) => b - a)
      .map(([key, n]) => `${key} ${percent(n / Math.max(1, total))}`)
      .join(', ') || 'none counted'
  );
};

/** Stops a gateway unless it has exited already; never waits more than 15 s. */
async function stopServer(server: Server) {
  if (server.process.exitCode !== null || server.process.signalCode !== null) return;
  await Promise.race([server.stop(), new Promise((r) => setTimeout(r, 15_000))]);
  if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL');
}

/** Whether Redis answers at `url`. */
async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Removes the watermark key the `replica+redis` gateways left for this run's cluster (src/consistency/watermark.ts names it so). */
async function removeWatermarkKey(url: string, primaryUrl: string) {
  const primary = new pg.Client({ connectionString: primaryUrl });
  await primary.connect();
  const { rows } = await primary.query<{ id: string }>('select system_identifier::text as id from pg_control_system()');
  await primary.end();
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.del(`gateway:consistency-watermark:${rows[0]?.id}`);
  } finally {
    redis.disconnect();
  }
}

export async function benchReplicas(options: BenchPartOptions) {
  const seconds = options.seconds ?? (options.quick ? 4 : 20);
  const rounds = options.rounds ?? (options.quick ? 2 : 5);
  const windowSeconds = Math.max(1, Math.ceil(seconds / rounds));
  if (options.build) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });

  console.log(`\nRead replicas: a primary and a streaming replica of the benchmark's own, ${rounds} rounds of ${windowSeconds} s`);
  const gateways: Gateway[] = [];
  let cluster: ReplicationCluster | undefined;
  let usedRedis = false;
  // Interrupted (Ctrl-C, a CI timeout): the exit handlers stop the cluster (its own) and the gateways.
  const killGateways = () => {
    for (const g of gateways) if (g.server.process.exitCode === null) g.server.process.kill('SIGKILL');
  };
  const interrupted = () => process.exit(130);
  process.on('exit', killGateways);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    cluster = await startReplicationCluster();
    const seeding = await prepare(DATASET, cluster.primary.url);
    const primaryDb = databaseUrl(DATASET.database, cluster.primary.url);
    const replicaDb = databaseUrl(DATASET.database, cluster.replica.url);
    // Frozen rows need no commit-status lookups on either server: the freeze is WAL-logged, so the replica's rows are frozen too.
    const primary = new pg.Client({ connectionString: primaryDb });
    await primary.connect();
    await primary.query('vacuum (freeze, analyze)');
    await primary.end();
    const caughtUpStarted = performance.now();
    await cluster.waitUntilCaughtUp(300_000);
    console.log(`replica caught up in ${((performance.now() - caughtUpStarted) / 1000).toFixed(1)} s`);
    // The replica's files into the OS cache, as prepare() did for the primary's.
    const replica = new pg.Client({ connectionString: replicaDb });
    await replica.connect();
    await replica.query(`select coalesce(sum(pg_prewarm(c.oid, 'read')), 0) from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'i')`);
    const [version] = (await replica.query<{ version: string }>('select version()')).rows;
    await replica.end();

    const redis = await redisAnswers(REDIS_URL);
    usedRedis = redis;
    if (!redis) console.log(`Redis does not answer at ${REDIS_URL}: no replica+redis configuration`);
    const environments: Record<Configuration, Record<string, string | undefined>> = {
      none: { DATABASE_REPLICA_URLS: undefined, REDIS_URL: undefined },
      replica: { DATABASE_REPLICA_URLS: replicaDb, REDIS_URL: undefined },
      blind: { DATABASE_REPLICA_URLS: replicaDb, BENCH_BLIND_REPLICA_READS: 'true', REDIS_URL: undefined },
      'replica+redis': { DATABASE_REPLICA_URLS: replicaDb, REDIS_URL },
    };
    for (const configuration of CONFIGURATIONS.filter((c) => redis || c !== 'replica+redis')) {
      const metricsPort = await freePort();
      const server = await startServer(await freePort(), {
        DATABASE_URL: primaryDb,
        BENCH_BLIND_REPLICA_READS: undefined,
        METRICS_PORT: String(metricsPort),
        METRICS_HOST: '127.0.0.1',
        METRICS_TOKEN: undefined,
        ...environments[configuration],
      });
      gateways.push({ configuration, server, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` });
    }
    const first = required(gateways[0], 'the first gateway');
    const tokens = { root: await login(first.server.url, BENCH_ROOT_EMAIL), fa: await login(first.server.url, BENCH_FA_LOGIN) };
    const reads = scenarios(tokens, keyCount(DATASET)).filter((s) => (READ_SCENARIOS as readonly string[]).includes(s.name));

    // Unmeasured first: each gateway's JIT, its pools' connections and prepared statements, and both servers' caches.
    for (const gateway of gateways) {
      for (const scenario of reads) await runLoad({ url: gateway.server.url, seconds: options.quick ? 1 : 3, ...scenario.load });
    }

    // What the two servers spend with no request at all (WAL receiver, checkpointer, stats...): it is in every window too.
    const idleSeconds = options.quick ? 2 : 5;
    const idleBefore = { primary: postgresCpuMs(cluster.primary.dir), replica: postgresCpuMs(cluster.replica.dir) };
    await sleep(idleSeconds * 1000);
    const idle = {
      primaryMsPerSecond: (postgresCpuMs(cluster.primary.dir) - idleBefore.primary) / idleSeconds,
      replicaMsPerSecond: (postgresCpuMs(cluster.replica.dir) - idleBefore.replica) / idleSeconds,
    };
    console.log(
      `idle: primary ${idle.primaryMsPerSecond.toFixed(1)} ms CPU/s, replica ${idle.replicaMsPerSecond.toFixed(1)} ms CPU/s (in every window below too)`,
    );

    const rows: Row[] = [];
    const ratios: Array<{
      scenario: string;
      replicaOverNone: number;
      replicaOverNoneMedianRound: number;
      replicaOverBlind: number;
      replicaOverBlindMedianRound: number;
      freshnessCost: number;
      /** The primary's CPU per request with the replica (freshness check) over without any. */
      primaryCpuReplicaOverNone: number;
      /** Total CPU per request (gateway, primary, replica): replica's over none's and over blind's. */
      cpuReplicaOverNone: number;
      cpuReplicaOverBlind: number;
      redisOverNone: number | null;
      redisOverBlind: number | null;
    }> = [];
    // The timed rounds: per scenario, every configuration in each round, the order alternating
    // round by round, so that drift hits every configuration alike.
    const windows = new Map(reads.map((s) => [s.name, new Map(gateways.map((g) => [g.configuration, [] as Window[]]))]));
    const windowsOf = (scenario: string, c: Configuration) => required(windows.get(scenario)?.get(c), `the windows of ${scenario} (${c})`);
    for (const scenario of reads) {
      for (let round = 0; round < rounds; round++) {
        for (const gateway of round % 2 ? [...gateways].reverse() : gateways) {
          windowsOf(scenario.name, gateway.configuration).push(await measure(gateway, scenario, cluster, windowSeconds));
        }
      }
    }
    // Where the statements went, counted by PostgreSQL per scenario and configuration (full runs
    // only: each count waits for the backends' statistics).
    const transactions = new Map<string, { primary: number; replica: number }>();
    if (!options.quick) {
      console.log(`counting each server's transactions, ${COUNTED_SECONDS} s per scenario and configuration...`);
      await sleep(STATISTICS_DELAY_MS);
      let last = { primary: await transactionsOf(primaryDb), replica: await transactionsOf(replicaDb) };
      for (const scenario of reads) {
        for (const gateway of gateways) {
          const counted = await runLoad({ url: gateway.server.url, seconds: COUNTED_SECONDS, ...scenario.load });
          await sleep(STATISTICS_DELAY_MS);
          const now = { primary: await transactionsOf(primaryDb), replica: await transactionsOf(replicaDb) };
          // Less the previous reading's own transaction.
          const perRequest = (server: 'primary' | 'replica') => (now[server] - last[server] - 1) / Math.max(1, counted.total);
          transactions.set(`${scenario.name}/${gateway.configuration}`, { primary: perRequest('primary'), replica: perRequest('replica') });
          last = now;
        }
      }
    }

    for (const scenario of reads) {
      const scenarioRows = new Map<Configuration, Row>();
      for (const gateway of gateways) {
        const statements = scenario.sample ? (await scenario.sample(gateway.server.url)).statements : NaN;
        const row = combine(
          scenario.name,
          gateway.configuration,
          windowsOf(scenario.name, gateway.configuration),
          statements,
          transactions.get(`${scenario.name}/${gateway.configuration}`) ?? { primary: NaN, replica: NaN },
        );
        scenarioRows.set(gateway.configuration, row);
        rows.push(row);
        console.log(
          `${scenario.name.padEnd(NAME_WIDTH)} ${gateway.configuration.padEnd(13)} ${row.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  ${row.statements} stmts  ` +
            `cpu ${row.gatewayCpuUs.toFixed(0)} + primary ${row.primaryCpuUs.toFixed(0)} + replica ${row.replicaCpuUs.toFixed(0)} µs  ` +
            `primary ${percent(row.primaryCpuShare)} of db CPU  ${options.quick ? '' : `xacts/req primary ${row.primaryTransactions.toFixed(2)} replica ${row.replicaTransactions.toFixed(2)}  `}reads: ${readsText(row)}  errors ${row.errors}${row.firstError ? ` (${row.firstError})` : ''}`,
        );
      }
      const row = (c: Configuration) => required(scenarioRows.get(c), `${scenario.name} (${c})`);
      const roundRatio = (a: Configuration, b: Configuration) =>
        median(row(a).rounds.map((rps, i) => rps / required(row(b).rounds[i], `round ${i} of ${b}`)));
      const replicaOverBlind = row('replica').requestsPerSecond / row('blind').requestsPerSecond;
      const redisRow = scenarioRows.get('replica+redis');
      const ratio = {
        scenario: scenario.name,
        replicaOverNone: row('replica').requestsPerSecond / row('none').requestsPerSecond,
        replicaOverNoneMedianRound: roundRatio('replica', 'none'),
        replicaOverBlind,
        replicaOverBlindMedianRound: roundRatio('replica', 'blind'),
        freshnessCost: 1 - replicaOverBlind,
        primaryCpuReplicaOverNone: row('replica').primaryCpuUs / row('none').primaryCpuUs,
        cpuReplicaOverNone: cpuTotal(row('replica')) / cpuTotal(row('none')),
        cpuReplicaOverBlind: cpuTotal(row('replica')) / cpuTotal(row('blind')),
        redisOverNone: redisRow ? redisRow.requestsPerSecond / row('none').requestsPerSecond : null,
        redisOverBlind: redisRow ? redisRow.requestsPerSecond / row('blind').requestsPerSecond : null,
      };
      ratios.push(ratio);
      console.log(
        `${''.padEnd(NAME_WIDTH)} → replica/none ${ratio.replicaOverNone.toFixed(2)} × (median round ${ratio.replicaOverNoneMedianRound.toFixed(2)} ×), ` +
          `replica/blind ${replicaOverBlind.toFixed(2)} × (median round ${ratio.replicaOverBlindMedianRound.toFixed(2)} ×): freshness check costs ${percent(ratio.freshnessCost)}; ` +
          `primary CPU per request ${ratio.primaryCpuReplicaOverNone.toFixed(2)} × no replica's; ` +
          `total CPU per request replica/none ${ratio.cpuReplicaOverNone.toFixed(2)} ×, replica/blind ${ratio.cpuReplicaOverBlind.toFixed(2)} ×` +
          (redisRow
            ? `; replica+redis/none ${ratio.redisOverNone?.toFixed(2)} ×, replica+redis/blind ${ratio.redisOverBlind?.toFixed(2)} ×`
            : ''),
      );
    }

    const targets = ratios.flatMap((r) => [
      {
        target: `${r.scenario}: replica ≥ 1.00 × no replica (throughput)`,
        value: `${r.replicaOverNone.toFixed(2)} (median round ${r.replicaOverNoneMedianRound.toFixed(2)})`,
        met: r.replicaOverNone >= 1,
      },
      {
        target: `${r.scenario}: freshness check < 10% (replica ≥ ${FRESHNESS_BOUND.toFixed(2)} × blind replica reads)`,
        value: `${r.replicaOverBlind.toFixed(2)} (median round ${r.replicaOverBlindMedianRound.toFixed(2)})`,
        met: r.replicaOverBlind >= FRESHNESS_BOUND,
      },
    ]);
    // A configured replica that serves no reads would make every ratio above meaningless.
    for (const r of rows.filter((r) => r.configuration !== 'none')) {
      targets.push({
        target: `${r.scenario} (${r.configuration}): reads served by the replica`,
        value: percent(r.replicaReadShare),
        met: r.replicaReadShare >= 0.99,
      });
    }
    console.log('\nReplica targets:');
    for (const t of targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.value}`);

    const results = {
      date: new Date().toISOString(),
      quick: options.quick,
      rounds,
      secondsPerRound: windowSeconds,
      postgres: version?.version ?? null,
      dataset: { ...DATASET, seeding },
      redisUrl: redis ? REDIS_URL : null,
      idle,
      rows,
      ratios,
      targets,
    };
    writePartResults('replicas', results, options.mergeInto);
    return results;
  } finally {
    await Promise.all(gateways.map((g) => stopServer(g.server)));
    if (usedRedis && cluster) {
      await removeWatermarkKey(REDIS_URL, cluster.primary.url).catch((error: unknown) =>
        console.warn(`could not remove this run's watermark key from ${REDIS_URL}: ${error}`),
      );
    }
    await cluster?.destroy();
    process.removeListener('exit', killGateways);
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

await runPartAlone(import.meta.url, benchReplicas);
