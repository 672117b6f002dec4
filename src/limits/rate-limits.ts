import { GraphQLError } from 'graphql';
import { CompiledQuery, sql } from 'kysely';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DB } from '../db/database.js';
import { prepared } from '../db/prepared-statements.js';

/** rate-limiter-flexible's table layout (migration 2026_12_06_0013). */
export interface RateLimitWindowTable {
  key: string;
  /** Hits in the current window. */
  points: number;
  /** When the window ends, in milliseconds since the epoch (bigint, as text). */
  expire: string | null;
}

export interface Limit {
  /** What is counted, e.g. `login:ip:10.0.0.1`. */
  key: string;
  max: number;
  windowSeconds: number;
}

export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds } });

/** rate-limiter-flexible's pg-style client over Kysely, so that PGlite and PostgreSQL count alike. */
const queryClient = (db: DB) => ({
  async query(query: { text: string; values?: unknown[]; name?: string }) {
    // Its upsert runs on every throttled request: prepared once per connection, like the other hot statements.
    const compiled = CompiledQuery.raw(query.text, query.values ?? []);
    const result = await db.executeQuery(query.name ? prepared(query.name.replace(/\W/g, '_'), compiled) : compiled);
    return { rows: result.rows, rowCount: Number(result.numAffectedRows ?? BigInt(result.rows.length)) };
  },
});

/**
 * rate-limiter-flexible's PostgreSQL store, counting in `rate_limit_window` through `db` (which
 * may be a transaction, or the request's statement-counting view). Keys are stored as they are
 * (no prefix).
 */
function limiter(db: DB, limit: Limit) {
  return new RateLimiterPostgres({
    storeClient: queryClient(db),
    storeType: 'client',
    tableName: 'rate_limit_window',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix: '',
    points: limit.max,
    duration: limit.windowSeconds,
  });
}

/**
 * Counts `amount` hits in the key's current window, atomically (rate-limiter-flexible's one
 * upsert, safe across processes), and returns the hits so far and the seconds until the window ends.
 */
export async function hit(db: DB, limit: Limit, amount = 1): Promise<{ hits: number; retryAfterSeconds: number }> {
  let result: RateLimiterRes;
  try {
    result = await limiter(db, limit).consume(limit.key, amount);
  } catch (refused) {
    // Over the limit: the library rejects with the window's state; the caller decides what to refuse.
    if (!(refused instanceof RateLimiterRes)) throw refused;
    result = refused;
  }
  return { hits: result.consumedPoints, retryAfterSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)) };
}

/** Hits the limit and refuses (RATE_LIMITED, with the seconds to wait) once it is passed. */
export async function enforce(db: DB, limit: Limit, message: string): Promise<void> {
  const { hits, retryAfterSeconds } = await hit(db, limit);
  if (hits > limit.max) throw rateLimited(`${message}; retry in ${retryAfterSeconds} s`, retryAfterSeconds);
}

/**
 * Takes back hits counted in the key's current window: a reservation that was not used up
 * (a login that succeeded). Never below zero; nothing when the window is over. Not the library's
 * `reward()`: that one goes below zero, and on a window that is over it opens a new one with a
 * negative count, a free attempt for later.
 */
export async function giveBack(db: DB, limit: Limit, amount = 1): Promise<void> {
  await sql`
    update rate_limit_window set points = greatest(0, points - ${amount}::int)
    where key = ${limiter(db, limit).getKey(limit.key)} and expire > ${Date.now()}`.execute(db);
}
