import { sql, type RawBuilder } from 'kysely';

type ColumnPair = readonly [string, string];

const rowOf = ([first, second]: ColumnPair) => sql`(${sql.ref(first)}, ${sql.ref(second)})`;

/** `(a, b) in ((…), …)`: the rows of a loader's batch of pairs, in one statement. */
export const pairIn = (columns: ColumnPair, pairs: ReadonlyArray<readonly [string, string]>): RawBuilder<boolean> =>
  sql<boolean>`${rowOf(columns)} in (${sql.join(pairs.map(([first, second]) => sql`(${first}, ${second})`))})`;

/** `(a, b) > (x, y)`: the rows after a position in (a, b) order (keyset pagination). */
export const pairAfter = (columns: ColumnPair, [first, second]: readonly [unknown, unknown]): RawBuilder<boolean> =>
  sql<boolean>`${rowOf(columns)} > (${first}, ${second})`;

/** `(a, b) < (x, y)`: the rows before a position in (a, b) order (keyset pagination, backward). */
export const pairBefore = (columns: ColumnPair, [first, second]: readonly [unknown, unknown]): RawBuilder<boolean> =>
  sql<boolean>`${rowOf(columns)} < (${first}, ${second})`;

/** `a > x`: the rows after a position in a one-column order (a model ID). */
export const keyAfter = (column: string, value: unknown): RawBuilder<boolean> => sql<boolean>`${sql.ref(column)} > ${value}`;

/** `a < x`: the rows before a position in a one-column order. */
export const keyBefore = (column: string, value: unknown): RawBuilder<boolean> => sql<boolean>`${sql.ref(column)} < ${value}`;
