import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import type { Logger } from '../logger.js';

const SWEEP_INTERVAL_MS = 3_600_000;
/** A window that is over counts nothing (the next hit opens a new one); a day's margin keeps the recent ones to look at. */
const KEPT_AFTER_EXPIRY_MS = 86_400_000;

/** Deletes the rate-limit windows that ended over a day ago; returns how many went. */
export async function deleteExpiredWindows(db: DB, now = Date.now()): Promise<number> {
  const result = await sql`delete from rate_limit_window where expire < ${now - KEPT_AFTER_EXPIRY_MS}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Keeps `rate_limit_window` small, once an hour per process, off the request path: a request
 * never runs the sweep, so what a request costs (its statements, its time) does not depend on luck.
 * Idempotent, so several processes sweeping at once do no harm.
 */
export function sweepExpiredWindows(db: DB, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = deleteExpiredWindows(db).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not delete expired rate-limit windows'),
    );
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
