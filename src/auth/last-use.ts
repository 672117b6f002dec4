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
/**
 * Past this many credentials gathered in a batch's second, the process is busy (an inference
 * proxy with many keys): gathering goes on for up to a minute before the stamps are written.
 * Each stamp dirties a table page, and a minute's stamps share pages that a second's do not.
 */
const BUSY_BATCH = 1_000;
/** How long a busy process gathers uses before stamping them: the stamps' precision. */
const BUSY_DELAY_MS = STAMP_INTERVAL_MS;
/** Past this many credentials gathered, they are written at once: what a process holds stays small. */
const MAX_GATHERED = 100_000;
/** Credentials a process remembers having stamped; past it, the statement's own guard still holds. */
const REMEMBERED_STAMPS = 10_000;
/** Rows one statement stamps. */
const STATEMENT_ROWS = 1_000;

/**
 * When a batch of uses first gathered `ageMs` ago, with `due` credentials, is written: now
 * (`0`), or in so many milliseconds. A quiet process writes after a second; a busy one after a
 * minute, in fewer page writes.
 */
export function stampDelay(due: number, ageMs: number): number {
  const until = due >= BUSY_BATCH ? BUSY_DELAY_MS : BATCH_DELAY_MS;
  return Math.max(0, until - ageMs);
}

/**
 * Keeps the `last_used_at` of credentials without slowing the requests that use them: a
 * process gathers uses with their times, and each table's are stamped by one statement per
 * thousand, never awaited by a request and one after another (a pool connection at most). An
 * inference proxy with many keys (a new one on every request) costs one write a minute per page
 * of keys, not one write and one commit per request. A process stamps a credential at most once
 * a minute, and the statement skips a stamp less than a minute older than the use, so that
 * several processes do not rewrite it either. The stamp is the time of the use; it is written
 * within a second, or a minute when the process is busy (`stampDelay`).
 */
export class LastUseRecorder {
  readonly #stamped = new LRUCache<string, true>({ max: REMEMBERED_STAMPS, ttl: STAMP_INTERVAL_MS });
  #due = newBatch();
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
    const batch = this.#due;
    // A batch is scheduled from its first use on.
    if (!this.#timer) {
      batch.since = Date.now();
      this.#schedule(BATCH_DELAY_MS);
    }
    if (!batch.uses[table].has(id)) batch.uses[table].set(id, Date.now() - batch.since);
    if (batch.size() >= MAX_GATHERED) void this.#writeDue();
  }

  /** Writes what is gathered and waits for every write under way (shutdown, before the database closes). */
  async flush(): Promise<void> {
    await this.#writeDue();
  }

  #schedule(delayMs: number) {
    this.#timer = setTimeout(() => this.#tick(), delayMs);
    // A process may exit with stamps gathered: shutdown flushes them.
    this.#timer.unref();
  }

  #tick() {
    const delay = stampDelay(this.#due.size(), Date.now() - this.#due.since);
    if (delay > 0) this.#schedule(delay);
    else void this.#writeDue();
  }

  #writeDue(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const due = this.#due;
    this.#due = newBatch();
    const writes = (Object.keys(due.uses) as CredentialTable[]).flatMap((table) =>
      chunks([...due.uses[table]]).map((uses) => () => this.#stamp(table, due.since, uses)),
    );
    this.#writing = writes.reduce((written, write) => written.then(write), this.#writing);
    return this.#writing;
  }

  #stamp(table: CredentialTable, since: number, uses: [string, number][]): Promise<void> {
    const ids = uses.map(([id]) => id);
    const times = uses.map(([, after]) => new Date(since + after).toISOString());
    // A stamp never waits for a row another transaction holds (another process stamping the same
    // key, a change to the key): it leaves that row to it. Waiting, two processes that stamp the
    // same keys in different orders deadlock, and the victim may be a user's change.
    return sql`with due as (
        select c.id, u.used_at from ${sql.table(table)} as c
        join unnest(${ids}::text[], ${times}::timestamptz[]) as u(id, used_at) on c.id = u.id
        where c.last_used_at is null or c.last_used_at < u.used_at - interval '1 minute'
        for update of c skip locked
      )
      update ${sql.table(table)} as c set last_used_at = due.used_at from due where c.id = due.id`
      .execute(this.db)
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.warn({ err: error, table, credentials: ids.length }, 'could not record when credentials were last used'),
      );
  }
}

/**
 * The uses gathered since `since` (the first one's time), by table: each credential with the
 * milliseconds from `since` to its first use (a small integer: a minute of busy uses held costs
 * no object per use).
 */
function newBatch() {
  const uses: Record<CredentialTable, Map<string, number>> = { api_key: new Map(), access_key: new Map() };
  return { uses, since: Date.now(), size: () => uses.api_key.size + uses.access_key.size };
}

function chunks<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let at = 0; at < items.length; at += STATEMENT_ROWS) result.push(items.slice(at, at + STATEMENT_ROWS));
  return result;
}
