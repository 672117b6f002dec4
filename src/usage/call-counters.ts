import { CompiledQuery } from 'kysely';
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DB } from '../db/database.js';
import { prepared } from '../db/prepared-statements.js';
import { connectRedis } from '../redis-client.js';

/** A window's state after consuming from it (or looking at it). */
export interface WindowState {
  allowed: boolean;
  /** Points consumed in the window, the refused ones included. */
  consumed: number;
  remaining: number;
  resetAt: Date;
}

/** The counter store did not answer: a call is refused (SERVICE_UNAVAILABLE), never allowed by default. */
export class CounterStoreUnavailable extends Error {}

/**
 * Fixed-window counters for model calls (requests and tokens per workspace and model), kept in
 * Redis or in the database and so shared by every gateway process and kept across restarts.
 * rate-limiter-flexible does the counting: one atomic statement (an upsert, or a Redis
 * transaction) per consumption, which is what makes N concurrent calls against B allow exactly
 * min(N, B).
 */
export interface CallCounters {
  /**
   * `within`: the transaction the consumption belongs to. A database store counts in it (so that
   * it commits or rolls back with the rest, and never waits for a second connection); Redis
   * ignores it.
   */
  consume(key: string, limit: number, periodSeconds: number, points?: number, within?: DB): Promise<WindowState>;
  peek(key: string, limit: number, periodSeconds: number): Promise<WindowState>;
  close(): Promise<void>;
}

const KEY_PREFIX = 'model-call';

function stateOf(result: RateLimiterRes, limit: number, allowed: boolean): WindowState {
  const msLeft = Math.max(result.msBeforeNext, 0);
  return {
    allowed,
    consumed: result.consumedPoints,
    remaining: Math.max(limit - result.consumedPoints, 0),
    resetAt: new Date(Date.now() + msLeft),
  };
}

/** rate-limiter-flexible's pg-style client over Kysely, so that PGlite and PostgreSQL count alike. */
export const queryClient = (db: DB) => ({
  async query(query: { text: string; values?: unknown[]; name?: string }) {
    // Its upsert runs on every model call: prepared once per connection, like the other hot statements.
    const compiled = CompiledQuery.raw(query.text, query.values ?? []);
    const result = await db.executeQuery(query.name ? prepared(query.name.replace(/\W/g, '_'), compiled) : compiled);
    return { rows: result.rows, rowCount: Number(result.numAffectedRows ?? BigInt(result.rows.length)) };
  },
});

export function createCallCounters(store: { redisUrl: string | null; db: DB }): CallCounters {
  const redis = store.redisUrl ? connectRedis(store.redisUrl) : null;
  const client = queryClient(store.db);
  const limiters = new Map<string, RateLimiterAbstract>();

  const databaseLimiter = (options: { points: number; duration: number; keyPrefix: string }, storeClient: ReturnType<typeof queryClient>) =>
    new RateLimiterPostgres({
      ...options,
      storeClient,
      storeType: 'client',
      tableName: 'model_call_counter',
      tableCreated: true,
      clearExpiredByTimeout: false,
    });

  /** One limiter per (limit, period): rate-limiter-flexible fixes both per instance. In a transaction, one of its own. */
  function limiter(limit: number, periodSeconds: number, within?: DB): RateLimiterAbstract {
    const options = { points: limit, duration: periodSeconds, keyPrefix: KEY_PREFIX };
    if (within && !redis) return databaseLimiter(options, queryClient(within));
    const key = `${limit}/${periodSeconds}`;
    let found = limiters.get(key);
    if (!found) {
      found = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true })
        : databaseLimiter(options, client);
      limiters.set(key, found);
    }
    return found;
  }

  const unavailable = (error: unknown): never => {
    throw new CounterStoreUnavailable('The call counters are unavailable', { cause: error });
  };

  return {
    async consume(key, limit, periodSeconds, points = 1, within) {
      try {
        return stateOf(await limiter(limit, periodSeconds, within).consume(key, points), limit, true);
      } catch (error) {
        if (error instanceof RateLimiterRes) return stateOf(error, limit, false);
        return unavailable(error);
      }
    },
    async peek(key, limit, periodSeconds) {
      const result = await limiter(limit, periodSeconds)
        .get(key)
        .catch((error: unknown) => unavailable(error));
      if (!result) return { allowed: true, consumed: 0, remaining: limit, resetAt: new Date(Date.now() + periodSeconds * 1000) };
      return stateOf(result, limit, result.consumedPoints < limit);
    },
    async close() {
      redis?.disconnect();
    },
  };
}
