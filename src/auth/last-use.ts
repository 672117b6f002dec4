import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { DB } from '../db/database.js';
import type { Logger } from '../logger.js';

type CredentialTable = 'api_key' | 'access_key';

/** Where a request records the credentials it used. */
export type CredentialUses = Pick<LastUseRecorder, 'record'>;

/**
 * Uses recorded by a request whose answer may still be discarded (read from a replica before its
 * freshness was known): passed on once the answer is kept, forgotten otherwise, so that a key
 * deleted meanwhile is not stamped from a stale read.
 */
export const usesOnceKept = (recorder: CredentialUses, kept: Promise<boolean>): CredentialUses => ({
  record(table, id) {
    void kept.then((ok) => ok && recorder.record(table, id));
  },
});

/** A credential's stamp is rewritten at most once in this long. */
const STAMP_INTERVAL_MS = 60_000;
/** How long uses are gathered before one statement per table stamps them all. */
const BATCH_DELAY_MS = 1_000;
/** Credentials a process remembers having stamped; past it, the statement's own guard still holds. */
const REMEMBERED_STAMPS = 10_000;
/** Rows one statement stamps. */
const STATEMENT_ROWS = 1_000;

/**
 * Keeps the `last_used_at` of credentials without slowing the requests that use them: uses are
 * gathered for a second, then each table's are stamped by one statement, never awaited by a
 * request. An inference proxy with many keys (a new one on every request) costs one write a
 * second, not one write and one commit per request. A process stamps a credential at most once a
 * minute, and the statement skips a stamp less than a minute old, so that several processes do
 * not rewrite it either. The stamp is the time of the write: at most a second late.
 */
export class LastUseRecorder {
  readonly #stamped = new LRUCache<string, true>({ max: REMEMBERED_STAMPS, ttl: STAMP_INTERVAL_MS });
  #due: Record<CredentialTable, Set<string>> = { api_key: new Set(), access_key: new Set() };
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DB,
    private readonly logger: Logger,
  ) {}

  record(table: CredentialTable, id: string): void {
    const key = `${table}/${id}`;
    if (this.#stamped.has(key)) return;
    this.#stamped.set(key, true);
    this.#due[table].add(id);
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.#writeDue(), BATCH_DELAY_MS);
      // A process may exit with stamps gathered: shutdown flushes them.
      this.#timer.unref();
    }
  }

  /** Writes what is gathered and waits for every write under way (shutdown, before the database closes). */
  async flush(): Promise<void> {
    await this.#writeDue();
  }

  #writeDue(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const due = this.#due;
    this.#due = { api_key: new Set(), access_key: new Set() };
    const writes = (Object.keys(due) as CredentialTable[]).flatMap((table) =>
      chunks([...due[table]]).map((ids) => this.#stamp(table, ids)),
    );
    this.#writing = Promise.all([this.#writing, ...writes]).then(() => undefined);
    return this.#writing;
  }

  #stamp(table: CredentialTable, ids: string[]): Promise<void> {
    return this.db
      .updateTable(table)
      .set({ last_used_at: sql`now()` })
      .where('id', 'in', ids)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
      .execute()
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.warn({ err: error, table, credentials: ids.length }, 'could not record when credentials were last used'),
      );
  }
}

function chunks(ids: string[]): string[][] {
  const result: string[][] = [];
  for (let at = 0; at < ids.length; at += STATEMENT_ROWS) result.push(ids.slice(at, at + STATEMENT_ROWS));
  return result;
}
