import type { Compilable, OrderByDirection, SelectQueryBuilder } from 'kysely';
import { preparedStatement, type Bindable, type Executor } from '../db/prepared-statements.js';
import { keyAfter, keyBefore, pairAfter, pairBefore } from '../db/row-comparisons.js';
import { creationCursor, orderedPage, type Cursor, type CursorArgument, type PageRequest } from './connection.js';

/** A page's cursors as a statement binds them: one value per column of the list's order. */
export interface PagePositions {
  after: readonly Bindable[] | null;
  before: readonly Bindable[] | null;
}

/** A creation cursor's position, refused as `creationCursor` refuses it: the timestamp as issued, then the ID. */
function creationPosition(cursor: Cursor, argument: CursorArgument): readonly Bindable[] {
  creationCursor(cursor, argument);
  return cursor;
}

/** The positions of a page in (creation time, ID) order (`creationBounds`' values). */
export const creationPositions = (page: PageRequest): PagePositions => ({
  after: page.after ? creationPosition(page.after, 'after') : null,
  before: page.before ? creationPosition(page.before, 'before') : null,
});

/** The positions of a page in the order of one column, which a cursor's second part holds (`keyBounds`' values). */
export const keyPositions = (page: PageRequest): PagePositions => ({
  after: page.after ? [page.after[1]] : null,
  before: page.before ? [page.before[1]] : null,
});

/** Orders, bounds and limits a query as the page asks (`keysetPage`), its values as parameters. */
export type Paging = <DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, O>;

type PageValues = { pageRows: number } & Partial<Record<'after0' | 'after1' | 'before0' | 'before1', Bindable>>;

/**
 * A keyset page's statement (`keysetPage` over `columns`), built and compiled by Kysely once per
 * shape of page (forward or backward, which cursors), then only bound (`preparedStatement`):
 * the console page's two lists were built and compiled on every request otherwise. `build`
 * applies `paged` to the list's query; it receives markers in place of its values.
 */
export function pageStatement<Db extends Executor, Values extends Record<string, Bindable>, Row>(
  name: string,
  columns: readonly [string] | readonly [string, string],
  build: (db: Db, values: Values, paged: Paging) => Compilable<Row>,
  listOrder: OrderByDirection = 'asc',
): (db: Db, values: Values, page: PageRequest, positions: PagePositions) => Promise<Row[]> {
  const byShape = new Map<string, (db: Db, values: Values & PageValues) => Promise<Row[]>>();
  return (db, values, page, positions) => {
    const backward = page.backward === true;
    const shape = `${backward ? 'backward' : 'forward'}${positions.after ? ' after' : ''}${positions.before ? ' before' : ''}`;
    let run = byShape.get(shape);
    if (!run) {
      run = preparedStatement(name, (on: Db, marked: Values & PageValues) =>
        build(on, marked, (query) => {
          const bounds = [];
          if (positions.after) bounds.push(bound(columns, 'after', marked));
          if (positions.before) bounds.push(bound(columns, 'before', marked));
          return orderedPage(query, backward, columns, bounds, marked.pageRows, listOrder);
        }),
      );
      byShape.set(shape, run);
    }
    return run(db, { ...values, ...pageValues(page, positions) });
  };
}

function pageValues(page: PageRequest, { after, before }: PagePositions): PageValues {
  const values: Record<string, Bindable> = { pageRows: page.limit + 1 };
  for (const [i, value] of (after ?? []).entries()) values[`after${i}`] = value;
  for (const [i, value] of (before ?? []).entries()) values[`before${i}`] = value;
  return values as PageValues;
}

function bound(columns: readonly [string] | readonly [string, string], side: 'after' | 'before', marked: PageValues) {
  const [first, second] = side === 'after' ? [marked.after0, marked.after1] : [marked.before0, marked.before1];
  if (columns.length === 1) return (side === 'after' ? keyAfter : keyBefore)(columns[0], first);
  return (side === 'after' ? pairAfter : pairBefore)(columns, [first, second]);
}
