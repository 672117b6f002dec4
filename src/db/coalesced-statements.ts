import type { DB } from './database.js';
import type { StatementCount } from './statement-counter.js';

/**
 * A request's way to a statement it may share with other requests: the database its reads are
 * routed to, without the request's own plugins, and the count the statement is reported to.
 */
export interface SharedReads {
  db: DB;
  count: StatementCount | null;
}

interface Waiting<Input, Row> {
  input: Input;
  resolve: (rows: Row[]) => void;
  reject: (error: unknown) => void;
}

/**
 * The lookups that concurrent requests make of one database, run as few statements (hot-path
 * key lookups, and model calls' window counts, issue #16). A lookup runs at once while no
 * statement of its kind is running on that database (`RUNNING_AT_ONCE`); otherwise it waits,
 * with those that arrive after it, for the next statement, which starts as soon as the running
 * one finishes. Under light load nothing waits; under heavy load one statement answers several
 * requests, and PostgreSQL does about half the work per lookup at four or more. No lookup waits
 * more than `MAX_WAIT_MS` for a running statement: then it starts its own. Each lookup is
 * answered by a statement that started after it was asked, so a revocation committed before a
 * request arrived is never missed.
 *
 * `run` answers its inputs' rows, one list per input, in their order. Each request counts the
 * statement that answered it, as it counts its own.
 */
export function coalesced<Input, Row>(
  run: (db: DB, inputs: Input[]) => Promise<Row[][]>,
): (reads: SharedReads, input: Input) => Promise<Row[]> {
  const byDatabase = new WeakMap<DB, (input: Input) => Promise<Row[]>>();
  return (reads, input) => {
    let lookup = byDatabase.get(reads.db);
    if (!lookup) {
      lookup = coalescer((inputs) => run(reads.db, inputs));
      byDatabase.set(reads.db, lookup);
    }
    const rows = lookup(input);
    const { count } = reads;
    if (!count) return rows;
    return rows.then((found) => {
      count.statements++;
      return found;
    });
  };
}

/**
 * One statement of a kind at a time, the next one's lookups gathering while it is answered:
 * against two at a time, batches about twice as large, less PostgreSQL CPU per lookup, and
 * 1.13 × the requests served on modelAccess, 1.14 × on the ceiling, side by side on the large
 * benchmark dataset (the README's issue #16 table).
 */
const RUNNING_AT_ONCE = 1;
/** Lookups per statement at most: past this, the rest wait for the next one. */
const MAX_BATCH = 64;
/**
 * How long lookups wait for a running statement to finish before they start their own: a
 * lookup statement takes about a millisecond even under load, but one stuck waiting for a
 * connection (a database that does not answer) must not hold the lookups behind it past the
 * pool's own timeout.
 */
const MAX_WAIT_MS = 20;

function coalescer<Input, Row>(run: (inputs: Input[]) => Promise<Row[][]>): (input: Input) => Promise<Row[]> {
  const waiting: Waiting<Input, Row>[] = [];
  let running = 0;
  let overdue: NodeJS.Timeout | null = null;
  const next = () => {
    if (overdue) clearTimeout(overdue);
    overdue = null;
    const batch = waiting.splice(0, MAX_BATCH);
    if (!batch.length) return;
    if (waiting.length) overdue = setTimeout(next, MAX_WAIT_MS);
    running++;
    run(batch.map((w) => w.input))
      .then(
        (answers) => {
          for (const [i, w] of batch.entries()) w.resolve(answers[i] ?? []);
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        running--;
        if (waiting.length) next();
      });
  };
  return (input) =>
    new Promise<Row[]>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      if (running < RUNNING_AT_ONCE) next();
      else overdue ??= setTimeout(next, MAX_WAIT_MS);
    });
}

/**
 * The rows of each input (a list of keys) of a coalesced statement, found by `keyOf`. A row
 * already answered to an earlier input is copied, so that no two requests share an object.
 */
export function rowsByInput<Row>(inputs: ReadonlyArray<readonly string[]>, rows: readonly Row[], keyOf: (row: Row) => string): Row[][] {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  const handed = new Set<Row>();
  return inputs.map((keys) =>
    keys.flatMap((key) => {
      const row = byKey.get(key);
      if (!row) return [];
      if (handed.has(row)) return [structuredClone(row)];
      handed.add(row);
      return [row];
    }),
  );
}
