import { GraphQLError } from 'graphql';
import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { mustExist } from '../db/must-exist.js';

export interface RateLimitWindowTable {
  key: string;
  window_start: Date;
  hits: number;
}

export interface Limit {
  /** What is counted, e.g. `login:ip:10.0.0.1`. */
  key: string;
  max: number;
  windowSeconds: number;
}

export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds } });

/**
 * Counts `amount` hits in the key's current window, atomically (one upsert, safe across
 * processes), and returns the hits so far and the seconds until the window ends.
 */
export async function hit(db: DB, limit: Limit, amount = 1): Promise<{ hits: number; retryAfterSeconds: number }> {
  const window = sql`make_interval(secs => ${limit.windowSeconds})`;
  const result = await sql<{ hits: number; retry_after: number }>`
    insert into rate_limit_window (key, window_start, hits) values (${limit.key}, now(), ${amount}::int)
    on conflict (key) do update set
      hits = case when rate_limit_window.window_start <= now() - ${window} then ${amount}::int else rate_limit_window.hits + ${amount}::int end,
      window_start = case when rate_limit_window.window_start <= now() - ${window} then now() else rate_limit_window.window_start end
    returning hits, greatest(1, ceil(extract(epoch from (window_start + ${window} - now()))))::int as retry_after`.execute(db);
  const row = mustExist(result.rows[0], 'the rate-limit window row an upsert returns');
  // Now and then, forget windows long over, so that the table stays small.
  if (Math.random() < 0.001) await sql`delete from rate_limit_window where window_start < now() - interval '1 day'`.execute(db);
  return { hits: row.hits, retryAfterSeconds: row.retry_after };
}

/** Hits the limit and refuses (RATE_LIMITED, with the seconds to wait) once it is passed. */
export async function enforce(db: DB, limit: Limit, message: string): Promise<void> {
  const { hits, retryAfterSeconds } = await hit(db, limit);
  if (hits > limit.max) throw rateLimited(`${message}; retry in ${retryAfterSeconds} s`, retryAfterSeconds);
}

/**
 * Takes back hits counted in the key's current window: a reservation that was not used up
 * (a login that succeeded). Never below zero; nothing when the window is over.
 */
export async function giveBack(db: DB, limit: Limit, amount = 1): Promise<void> {
  const window = sql`make_interval(secs => ${limit.windowSeconds})`;
  await sql`
    update rate_limit_window set hits = greatest(0, hits - ${amount}::int)
    where key = ${limit.key} and window_start > now() - ${window}`.execute(db);
}
