import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import type { Logger } from '../logger.js';

const STAMP_INTERVAL_MS = 60_000;

/**
 * Keeps the `last_used_at` of credentials without slowing the requests that use them: at most one
 * write a minute per credential and process, never awaited by the request. The statement itself
 * skips a stamp less than a minute old, so that several processes do not rewrite it either.
 */
export class LastUseRecorder {
  private readonly stampedAt = new Map<string, number>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly db: DB,
    private readonly logger: Logger,
  ) {}

  record(table: 'api_key' | 'access_key', id: string, now = Date.now()): void {
    const key = `${table}/${id}`;
    if (now - (this.stampedAt.get(key) ?? 0) < STAMP_INTERVAL_MS) return;
    this.stampedAt.set(key, now);
    // The map forgets keys not seen for a minute, so that it stays as small as the set of keys in use.
    if (this.stampedAt.size > 10_000) this.forgetOlderThan(now - STAMP_INTERVAL_MS);
    const write = this.db
      .updateTable(table)
      .set({ last_used_at: sql`now()` })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
      .execute()
      .catch((error: unknown) => this.logger.warn({ err: error, table, id }, 'could not record when a credential was last used'));
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /** Waits for the writes under way (shutdown, before the database closes). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private forgetOlderThan(cutoff: number) {
    for (const [key, at] of this.stampedAt) if (at < cutoff) this.stampedAt.delete(key);
  }
}
