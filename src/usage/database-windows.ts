import { sql } from 'kysely';
import { coalesced } from '../db/coalesced-statements.js';
import type { DB } from '../db/database.js';
import { preparedStatement } from '../db/prepared-statements.js';

/** Points taken from `key`'s fixed window, which opens for `durationMs` when none is open. */
export interface Consumption {
  key: string;
  points: number;
  durationMs: number;
}

/** A window as a consumption left it (or as it is): its points so far and its end, in ms since the epoch. */
export interface WindowRow {
  points: number;
  expire: number;
}

/**
 * One statement for any number of windows, in rate-limiter-flexible's layout and with its
 * upsert's meaning (a window that is over starts again from the points taken), so that windows
 * counted by the library go on counting. The keys come sorted and once each, so that concurrent
 * statements lock their rows in one order and never deadlock.
 */
const upsertWindows = preparedStatement(
  'model_call_counter_consume',
  (db: DB, values: { keys: readonly string[]; points: readonly number[]; expires: readonly number[]; now: number }) =>
    db
      .insertInto('model_call_counter')
      .columns(['key', 'points', 'expire'])
      .expression(
        db
          .selectFrom(
            sql<{
              key: string;
              points: string;
              expire: string;
            }>`(select * from unnest(${values.keys}::text[], ${values.points}::int8[], ${values.expires}::int8[]) as c(key, points, expire))`.as(
              'c',
            ),
          )
          .select(['c.key', 'c.points', 'c.expire']),
      )
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          points: sql<string>`case when model_call_counter.expire <= ${values.now}::int8 then excluded.points else model_call_counter.points + excluded.points end`,
          expire: sql<string>`case when model_call_counter.expire <= ${values.now}::int8 then excluded.expire else model_call_counter.expire end`,
        }),
      )
      .returning(['key', 'points', 'expire']),
);

const openWindow = preparedStatement('model_call_counter_peek', (db: DB, values: { key: string; now: number }) =>
  db
    .selectFrom('model_call_counter')
    .select(['points', 'expire'])
    .where('key', '=', values.key)
    .where('expire', '>', sql<string>`${values.now}::int8`),
);

/**
 * Takes the consumptions in one statement, as if one after another in their order: each is
 * answered with the window's points up to and including its own. Consumptions of one key add
 * up to one row's update (a statement may not update a row twice); the first of them opens the
 * window if it has to, as it would alone.
 */
export async function consumeWindows(db: DB, consumptions: readonly Consumption[]): Promise<WindowRow[]> {
  const taken = new Map<string, { points: number; durationMs: number }>();
  for (const { key, points, durationMs } of consumptions) {
    const window = taken.get(key);
    if (window) window.points += points;
    else taken.set(key, { points, durationMs });
  }
  const windows = [...taken].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const now = Date.now();
  const rows = await upsertWindows(db, {
    keys: windows.map(([key]) => key),
    points: windows.map(([, window]) => window.points),
    expires: windows.map(([, window]) => now + window.durationMs),
    now,
  });
  const after = new Map(rows.map((row) => [row.key, { points: Number(row.points), expire: Number(row.expire) }]));
  // Walking back from the last, each consumption's count is the window's less what came after it.
  const takenLater = new Map<string, number>();
  const answers: WindowRow[] = [];
  for (let i = consumptions.length - 1; i >= 0; i--) {
    const { key, points } = consumptions[i] as Consumption;
    const window = after.get(key);
    if (!window) throw new Error(`the window ${key} was not counted`);
    const later = takenLater.get(key) ?? 0;
    answers[i] = { points: window.points - later, expire: window.expire };
    takenLater.set(key, later + points);
  }
  return answers;
}

/**
 * Concurrent requests' consumptions, taken together (`coalesced`): one statement, and one
 * commit, for as many calls as arrived while the previous one ran, where each call had written
 * and committed alone. Each is counted by a statement that started after it was asked.
 */
const consumeTogether = coalesced(async (db: DB, consumptions: Consumption[]) =>
  (await consumeWindows(db, consumptions)).map((row) => [row]),
);

/** One consumption, with concurrent calls' (`consumeTogether`). */
export async function consumeWindow(db: DB, consumption: Consumption): Promise<WindowRow> {
  const [row] = await consumeTogether({ db, count: null }, consumption);
  if (!row) throw new Error(`the window ${consumption.key} was not counted`);
  return row;
}

/** The key's open window, if any. */
export async function peekWindow(db: DB, key: string): Promise<WindowRow | null> {
  const [row] = await openWindow(db, { key, now: Date.now() });
  return row ? { points: Number(row.points), expire: Number(row.expire) } : null;
}
