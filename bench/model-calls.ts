/**
 * `authorizeModelCall`'s exact counts (issue #12), checked by `npm run bench` after the timed
 * rounds, for each counter store: a (workspace, model) of its own with a request limit of B, a
 * fresh counter, 3 × B concurrent calls from the load generator. Allowed must be B exactly (no
 * overshoot), the rest RATE_LIMITED, and the store's counter at least B. The same calls tell how
 * many SQL statements (transactions) and Redis commands one call costs.
 */
import { Redis } from 'ioredis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/schema.js';
import { EXACTNESS, benchKeySecret, benchWorkspaceId, firstKeyOfWorkspace } from './dataset.js';
import { ADMIN_URL, databaseUrl, required, runLoad, type Server } from './harness.js';
import { CALL_ANSWERS, authorizeModelCallMutation } from './scenarios.js';

export type CounterStore = 'postgres' | 'redis';
export const COUNTER_STORES: readonly CounterStore[] = ['postgres', 'redis'];

/**
 * The counter of a (workspace, model)'s request window as rate-limiter-flexible stores it: the
 * gateway's key prefix (src/usage/call-counters.ts) and `requestCounterKey`
 * (src/usage/authorize-model-call.ts). The check fails loudly if the calls counted elsewhere.
 */
export const requestCounter = (workspaceId: string, modelId: string) => `model-call:requests:${workspaceId}:${modelId}`;

/**
 * A backend reports its statistics to pg_stat_database at most once a second while busy, and
 * within 10 s of going idle: the statements a burst of calls ran are all counted after this wait.
 */
const STATISTICS_SETTLE_MS = 11_000;

export interface ExactnessResult {
  store: CounterStore;
  workspace: string;
  model: string;
  budget: number;
  calls: number;
  /** Answers: in all, allowed, RATE_LIMITED, errors (GraphQL errors, non-2xx and socket errors). */
  answered: number;
  allowed: number;
  rateLimited: number;
  errors: number;
  /** The store's counter after the calls (rate-limiter-flexible counts refused calls too: `calls` expected). */
  counter: number | null;
  /** Whether the other store holds a counter for the same window (it must not). */
  countedInOtherStore: boolean;
  /** Per call: the database's transactions (each statement outside a transaction is one), Redis scripts (round trips) and commands. */
  statementsPerCall: number;
  redisScriptsPerCall: number;
  redisCommandsPerCall: number;
  callsPerSecond: number;
  met: boolean;
}

/**
 * Redis's own CPU time (user and system, ms) so far, the commands it processed (the commands a
 * script runs count too) and the scripts it ran (EVAL, EVALSHA: one round trip each), from INFO:
 * what the counters cost Redis. This INFO is counted by the next one (one command, no script).
 */
export async function redisUsage(url: string): Promise<{ cpuMs: number; commands: number; scripts: number }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableReadyCheck: false });
  try {
    const info = await redis.info('all');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return {
      cpuMs: (field('used_cpu_user') + field('used_cpu_sys')) * 1000,
      commands: field('total_commands_processed'),
      scripts: ['eval', 'evalsha', 'eval_ro', 'evalsha_ro'].reduce((sum, command) => sum + calls(command), 0),
    };
  } finally {
    redis.disconnect();
  }
}

/** Transactions committed and rolled back in `database` so far, as reported (see STATISTICS_SETTLE_MS). */
async function transactions(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    // The admin connection's own statements count in its database (the maintenance one), not here.
    const { rows } = await admin.query<{ n: string }>(
      'select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1',
      [database],
    );
    return Number(required(rows[0], `the statistics of ${database}`).n);
  } finally {
    await admin.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the check on each store's server (both serve `database`). `redisUrl`: the Redis the
 * Redis-counting server uses.
 */
export async function checkExactCounts(
  servers: Record<CounterStore, Server>,
  database: string,
  redisUrl: string,
  connections: number,
): Promise<ExactnessResult[]> {
  const { model, budget, periodSeconds } = EXACTNESS;
  const calls = 3 * budget;
  const workspaceOf = (store: CounterStore) => benchWorkspaceId(EXACTNESS.workspaces[store]);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(database), max: 1 }) }),
  });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    // The limit B on each store's (workspace, model), and fresh counters (a run within the
    // period before this one left its count behind) in both stores.
    for (const store of COUNTER_STORES) {
      const workspace = workspaceOf(store);
      await sql`insert into model_rate_limit (workspace_id, model_id, account_id, request_limit, request_limit_period_seconds)
        select id, ${model}, account_id, ${budget}, ${periodSeconds} from workspace where id = ${workspace}
        on conflict (workspace_id, model_id) do update set request_limit = excluded.request_limit,
          request_limit_period_seconds = excluded.request_limit_period_seconds, usage_limit = null,
          usage_limit_period_seconds = null, updated_at = now()`.execute(db);
      const key = requestCounter(workspace, model);
      await sql`delete from model_call_counter where key = ${key}`.execute(db);
      await redis.del(key);
    }

    const fired = new Map<
      CounterStore,
      { load: Awaited<ReturnType<typeof runLoad>>; statements: number; redisScripts: number; redisCommands: number }
    >();
    await sleep(STATISTICS_SETTLE_MS);
    let before = await transactions(database);
    for (const store of COUNTER_STORES) {
      const workspace = workspaceOf(store);
      const redisBefore = await redisUsage(redisUrl);
      const load = await runLoad({
        url: servers[store].url,
        connections,
        seconds: 60,
        amount: calls,
        requests: [{ query: authorizeModelCallMutation(model), token: benchKeySecret(firstKeyOfWorkspace(EXACTNESS.workspaces[store])) }],
        count: CALL_ANSWERS,
      });
      const redisAfter = await redisUsage(redisUrl);
      await sleep(STATISTICS_SETTLE_MS);
      const after = await transactions(database);
      fired.set(store, {
        load,
        statements: after - before,
        redisScripts: redisAfter.scripts - redisBefore.scripts,
        redisCommands: redisAfter.commands - redisBefore.commands - 1,
      });
      before = after;
      if (!load.total) throw new Error(`no answer from ${workspace}'s calls`);
    }

    const results: ExactnessResult[] = [];
    for (const store of COUNTER_STORES) {
      const workspace = workspaceOf(store);
      const key = requestCounter(workspace, model);
      const { load, statements, redisScripts, redisCommands } = required(fired.get(store), store);
      const inDatabase = await sql<{ points: number }>`select points from model_call_counter where key = ${key}`.execute(db);
      const inRedis = await redis.get(key);
      const databaseCounter = inDatabase.rows[0]?.points ?? null;
      const redisCounter = inRedis === null ? null : Number(inRedis);
      const counter = store === 'postgres' ? databaseCounter : redisCounter;
      const countedInOtherStore = (store === 'postgres' ? redisCounter : databaseCounter) !== null;
      const allowed = load.counts.allowed ?? 0;
      const rateLimited = load.counts.rateLimited ?? 0;
      const errors = load.errors + load.non2xx;
      results.push({
        store,
        workspace,
        model,
        budget,
        calls,
        answered: load.total,
        allowed,
        rateLimited,
        errors,
        counter,
        countedInOtherStore,
        statementsPerCall: statements / calls,
        redisScriptsPerCall: redisScripts / calls,
        redisCommandsPerCall: redisCommands / calls,
        callsPerSecond: load.requestsPerSecond,
        met:
          load.total === calls &&
          allowed === budget &&
          rateLimited === calls - budget &&
          errors === 0 &&
          counter !== null &&
          counter >= budget &&
          !countedInOtherStore,
      });
    }
    return results;
  } finally {
    redis.disconnect();
    await db.destroy();
  }
}
