import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { DB } from '../db/database.js';
import { mustExist } from '../db/must-exist.js';
import { connectRedis } from '../redis-client.js';
import { consumeWindow, consumeWindows, peekWindow, type WindowRow } from './database-windows.js';

/** A window's state after consuming from it (or looking at it). */
export interface WindowState {
  allowed: boolean;
  /** Points consumed in the window, the refused ones included. */
  consumed: number;
  remaining: number;
  resetAt: Date;
}

/** One consumption of `consumeAll`: `points` taken from the window of `key`. */
export interface CounterConsumption {
  key: string;
  limit: number;
  periodSeconds: number;
  points: number;
}

/** The counter store did not answer: a call is refused (SERVICE_UNAVAILABLE), never allowed by default. */
export class CounterStoreUnavailable extends Error {}

/**
 * Fixed-window counters for model calls (requests and tokens per workspace and model), kept in
 * Redis or in the database and so shared by every gateway process and kept across restarts.
 * Each consumption is one atomic step of the store (a Redis script, or a row's upsert that
 * concurrent calls share), which is what makes N concurrent calls against B allow exactly
 * min(N, B).
 */
export interface CallCounters {
  consume(key: string, limit: number, periodSeconds: number, points?: number): Promise<WindowState>;
  /**
   * Several consumptions, as `consume` takes them one after another in their order. `within`: the
   * transaction they belong to. A database store counts them in it, in one statement (so that
   * they commit or roll back with the rest, and never wait for a second connection); Redis
   * ignores it.
   */
  consumeAll(consumptions: readonly CounterConsumption[], within: DB): Promise<WindowState[]>;
  peek(key: string, limit: number, periodSeconds: number): Promise<WindowState>;
  close(): Promise<void>;
}

const KEY_PREFIX = 'model-call';
/** rate-limiter-flexible's key for a counter: the database store keeps its layout, so counts survive the change of store code. */
const storedKey = (key: string) => `${KEY_PREFIX}:${key}`;

function stateOf(consumed: number, msBeforeNext: number, limit: number, allowed: boolean): WindowState {
  return {
    allowed,
    consumed,
    remaining: Math.max(limit - consumed, 0),
    resetAt: new Date(Date.now() + Math.max(msBeforeNext, 0)),
  };
}

/** A database window after a consumption: allowed while its points stay within the limit. */
const stateAfter = (window: WindowRow, limit: number) => stateOf(window.points, window.expire - Date.now(), limit, window.points <= limit);

const unavailable = (error: unknown): never => {
  throw new CounterStoreUnavailable('The call counters are unavailable', { cause: error });
};

/**
 * Windows in the database (`model_call_counter`, src/usage/database-windows.ts): concurrent
 * calls' consumptions share one statement; `consumeAll`'s run in the transaction they belong to.
 */
function databaseCounters(db: DB): CallCounters {
  return {
    async consume(key, limit, periodSeconds, points = 1) {
      const consumption = { key: storedKey(key), points, durationMs: periodSeconds * 1000 };
      return stateAfter(await consumeWindow(db, consumption).catch(unavailable), limit);
    },
    async consumeAll(consumptions, within) {
      const taken = consumptions.map(({ key, points, periodSeconds }) => ({
        key: storedKey(key),
        points,
        durationMs: periodSeconds * 1000,
      }));
      const windows = await consumeWindows(within, taken).catch(unavailable);
      return consumptions.map(({ limit }, i) => stateAfter(mustExist(windows[i], 'a consumed window'), limit));
    },
    async peek(key, limit, periodSeconds) {
      const window = await peekWindow(db, storedKey(key)).catch(unavailable);
      if (!window) return stateOf(0, periodSeconds * 1000, limit, true);
      return stateOf(window.points, window.expire - Date.now(), limit, window.points < limit);
    },
    async close() {},
  };
}

/** Windows in Redis, counted by rate-limiter-flexible (one Lua script per consumption). */
function redisCounters(redisUrl: string): CallCounters {
  const redis = connectRedis(redisUrl);
  const limiters = new Map<string, RateLimiterRedis>();

  /** One limiter per (limit, period): rate-limiter-flexible fixes both per instance. */
  function limiter(limit: number, periodSeconds: number): RateLimiterRedis {
    const key = `${limit}/${periodSeconds}`;
    let found = limiters.get(key);
    if (!found) {
      found = new RateLimiterRedis({
        points: limit,
        duration: periodSeconds,
        keyPrefix: KEY_PREFIX,
        storeClient: redis,
        rejectIfRedisNotReady: true,
      });
      limiters.set(key, found);
    }
    return found;
  }

  async function consume(key: string, limit: number, periodSeconds: number, points = 1): Promise<WindowState> {
    try {
      const result = await limiter(limit, periodSeconds).consume(key, points);
      return stateOf(result.consumedPoints, result.msBeforeNext, limit, true);
    } catch (error) {
      if (error instanceof RateLimiterRes) return stateOf(error.consumedPoints, error.msBeforeNext, limit, false);
      return unavailable(error);
    }
  }

  return {
    consume,
    // One script each: Redis runs them in the order they are sent.
    consumeAll: (consumptions) => Promise.all(consumptions.map((c) => consume(c.key, c.limit, c.periodSeconds, c.points))),
    async peek(key, limit, periodSeconds) {
      const result = await limiter(limit, periodSeconds).get(key).catch(unavailable);
      if (!result) return stateOf(0, periodSeconds * 1000, limit, true);
      return stateOf(result.consumedPoints, result.msBeforeNext, limit, result.consumedPoints < limit);
    },
    async close() {
      redis.disconnect();
    },
  };
}

export function createCallCounters(store: { redisUrl: string | null; db: DB }): CallCounters {
  return store.redisUrl ? redisCounters(store.redisUrl) : databaseCounters(store.db);
}
