import type DataLoader from 'dataloader';
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getDirectiveValues,
  Kind,
  type FieldNode,
  type GraphQLResolveInfo,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { sql, type Expression, type OrderByDirection, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { keyAfter, keyBefore, pairAfter, pairBefore } from '../db/row-comparisons.js';
import { badUserInput } from '../errors.js';
import { isNumberPastBigint, isStorableText } from '../limits/postgres-bounds.js';

export const MAX_PAGE_SIZE = 100;
/** The page size when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;

/** A connection field's arguments: `first`/`after` page forward, `last`/`before` backward (Relay). */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** A keyset position: the sort key of a row. */
export type Cursor = readonly [string, string];

/** The argument a cursor came from, which an error about it names. */
export type CursorArgument = 'after' | 'before';

export interface PageRequest {
  /** How many edges: `first`, or `last` when paging backward. */
  limit: number;
  /** Only rows after this position (`after`). */
  after: Cursor | null;
  /** Only rows before this position (`before`); absent: no bound. */
  before?: Cursor | null;
  /**
   * `last`: the page is the `limit` rows nearest the end of the list (or `before`). They are read
   * in reverse order (`keysetPage`) and `toConnection` turns them back. Absent: forward.
   */
  backward?: boolean;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
}

/** A connection with `totalCount` (`countedConnection`). */
export type CountedConnection<T> = Connection<T> & { totalCount: number };

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** A part of a forged cursor that PostgreSQL would refuse: text it cannot store, or a number past bigint. */
const isUnqueryable = (part: string) => !isStorableText(part) || isNumberPastBigint(part);

function decodeCursor(text: string): Cursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const cursor: Cursor = [value[0], value[1]];
      return cursor.some(isUnqueryable) ? null : cursor;
    }
  } catch {
    // fall through: malformed
  }
  return null;
}

/** A cursor argument, decoded: null when absent; refused, naming the argument, when this server did not issue it. */
function cursorArgument(text: string | null | undefined, argument: CursorArgument): Cursor | null {
  if (text == null) return null;
  const cursor = decodeCursor(text);
  if (!cursor) throw badUserInput(argument, 'is not a cursor of this connection');
  return cursor;
}

/**
 * Validates the page arguments: `first` (forward) or `last` (backward), never both, at most 100
 * (20 forward when neither is given); `after` and `before` cursors this server issued. Either
 * direction takes both cursors: they bound the list, then `first` or `last` counts from one end.
 */
export function pageRequest(args: PageArgs): PageRequest {
  if (args.first != null && args.last != null) {
    throw badUserInput('last', 'cannot be given with first: page forward with first/after, or backward with last/before');
  }
  const backward = args.last != null;
  const limit = (backward ? args.last : args.first) ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_SIZE) {
    throw badUserInput(backward ? 'last' : 'first', `must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return { limit, after: cursorArgument(args.after, 'after'), before: cursorArgument(args.before, 'before'), backward };
}

/**
 * Rows fetched with `limit + 1` become a page; the extra row only says that another page follows
 * in the direction of reading (`hasNextPage` forward, `hasPreviousPage` backward). Backward rows
 * come nearest-first and are turned back into the list's order. The other flag follows the cheap
 * rule PageInfo's description states: whether the page starts from a cursor on that side.
 */
export function toConnection<T>(
  rows: T[],
  limit: number,
  cursorOf: (row: T) => Cursor,
  page: Pick<PageRequest, 'after' | 'before' | 'backward'> = { after: null },
): Connection<T> {
  const more = rows.length > limit;
  const nodes = rows.slice(0, limit);
  if (page.backward) nodes.reverse();
  const edges = nodes.map((node) => new Edge(node, cursorOf));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.backward ? page.before != null : more,
      hasPreviousPage: page.backward ? more : page.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** An edge whose cursor is encoded only if read: most pages ask for nodes, and a cursor per row cost a Date and base64 each. */
class Edge<T> {
  readonly #cursorOf: (row: T) => Cursor;
  #cursor: string | undefined;
  constructor(
    readonly node: T,
    cursorOf: (row: T) => Cursor,
  ) {
    this.#cursorOf = cursorOf;
  }
  get cursor(): string {
    this.#cursor ??= encodeCursor(this.#cursorOf(this.node));
    return this.#cursor;
  }
}

/** The usual sort key: creation time, then ID. */
export const byCreation = (row: { created_at: Date; id: string }): Cursor => [row.created_at.toISOString(), row.id];

/**
 * `toISOString()` of the years 1-9999: what `byCreation` issues. Other dates fail in the database:
 * PostgreSQL knows no year before 4713 BC, after 294276 or 0, and PGlite sends a Date as `+275000-…`,
 * which it cannot parse.
 */
const ISSUED_TIMESTAMP = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The rows after a creation cursor, in (creation time, ID) order: `columns` name the two. */
export function afterCreation(cursor: Cursor, columns: readonly [string, string]) {
  const { createdAt, id } = creationCursor(cursor);
  return pairAfter(columns, [createdAt, id]);
}

/** Parses a creation cursor's timestamp, refusing a forged one (naming `argument`): any timestamp but those `byCreation` issues. */
export function creationCursor(cursor: Cursor, argument: CursorArgument = 'after'): { createdAt: Date; id: string } {
  const createdAt = new Date(cursor[0]);
  const issued = ISSUED_TIMESTAMP.test(cursor[0]) && createdAt.toISOString() === cursor[0];
  if (!issued) throw badUserInput(argument, 'is not a cursor of this connection');
  return { createdAt, id: cursor[1] };
}

/** A page's bounds in (creation time, ID) order, `columns` naming the two: after `after`, before `before`. */
export function creationBounds(page: PageRequest, columns: readonly [string, string]): Array<Expression<SqlBool>> {
  const bounds: Array<Expression<SqlBool>> = [];
  if (page.after) {
    const { createdAt, id } = creationCursor(page.after, 'after');
    bounds.push(pairAfter(columns, [createdAt, id]));
  }
  if (page.before) {
    const { createdAt, id } = creationCursor(page.before, 'before');
    bounds.push(pairBefore(columns, [createdAt, id]));
  }
  return bounds;
}

/** A page's bounds in the order of one column (a model ID), which a cursor's second part holds. */
export function keyBounds(page: PageRequest, column: string): Array<Expression<SqlBool>> {
  const bounds: Array<Expression<SqlBool>> = [];
  if (page.after) bounds.push(keyAfter(column, page.after[1]));
  if (page.before) bounds.push(keyBefore(column, page.before[1]));
  return bounds;
}

/**
 * The page's rows of a keyset-ordered list, the one place that reads a page: `bounds` keep the
 * rows between the cursors (`creationBounds`, `keyBounds`, or a list's own), `columns` order them
 * as the list is ordered (`listOrder`), reversed when paging backward so that the rows nearest
 * `before` (or the end) come first, and `limit + 1` rows are read (`toConnection`).
 */
export const keysetPage = <DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  columns: readonly string[],
  bounds: ReadonlyArray<Expression<SqlBool>>,
  listOrder: OrderByDirection = 'asc',
): SelectQueryBuilder<DB, TB, O> => orderedPage(query, page.backward === true, columns, bounds, page.limit + 1, listOrder);

/** `keysetPage` given the number of rows to read as it binds it (src/relay/page-statements.ts passes a parameter). */
export function orderedPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  backward: boolean,
  columns: readonly string[],
  bounds: ReadonlyArray<Expression<SqlBool>>,
  rows: number,
  listOrder: OrderByDirection = 'asc',
): SelectQueryBuilder<DB, TB, O> {
  const order: OrderByDirection = backward ? (listOrder === 'asc' ? 'desc' : 'asc') : listOrder;
  let paged = query;
  for (const column of columns) paged = paged.orderBy(sql.ref(column), order);
  for (const bound of bounds) paged = paged.where(bound);
  return paged.limit(rows);
}

/** `keysetPage` over a list in (creation time, ID) order, oldest first; `columns` name the two. */
export const creationPage = <DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  columns: readonly [string, string],
): SelectQueryBuilder<DB, TB, O> => keysetPage(query, page, columns, creationBounds(page, columns));

/** A connection field's page: validates the page arguments, fetches `limit + 1` rows, builds the edges. */
export async function connection<T>(
  args: PageArgs,
  fetchRows: (page: PageRequest) => Promise<T[]>,
  cursorOf: (row: T) => Cursor,
): Promise<Connection<T>> {
  const page = pageRequest(args);
  return toConnection(await fetchRows(page), page.limit, cursorOf, page);
}

const isIncluded = (node: SelectionNode, variables: GraphQLResolveInfo['variableValues']) =>
  getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true &&
  getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;

/** The fields of selection sets, fragments followed, `@skip`/`@include` applied. */
function fieldsOf(selectionSets: ReadonlyArray<SelectionSetNode | undefined>, info: GraphQLResolveInfo): FieldNode[] {
  const fields: FieldNode[] = [];
  const visit = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!isIncluded(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else visit(info.fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const selectionSet of selectionSets) visit(selectionSet);
  return fields;
}

/**
 * The fields the query selects on what a resolver returns, or `path` below it (`['edges',
 * 'node']`: on a connection's nodes): fragments followed, `@skip`/`@include` applied.
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): Set<string> {
  let level = fieldsOf(
    info.fieldNodes.map((node) => node.selectionSet),
    info,
  );
  for (const name of path) {
    level = fieldsOf(
      level.filter((field) => field.name.value === name).map((field) => field.selectionSet),
      info,
    );
  }
  return new Set(level.map((field) => field.name.value));
}

/** A part of a connection the query did not select, hence never computed: GraphQL does not read it. */
const notComputed = (name: string): PropertyDescriptor => ({
  get() {
    throw new Error(`Invariant broken: ${name} was read, but the query did not select it, so it was not computed`);
  },
});

/**
 * A connection field with `totalCount`, each part computed only when the query selects it: the
 * page's rows for `edges` or `pageInfo`, `count()` for `totalCount`. `count` counts what the
 * caller may see of the list (the filter `fetchRows` applies), through a loader or a column of
 * the parent, so that the counts of a list of parents cost one statement (or none). Page
 * arguments are validated either way.
 */
export async function countedConnection<T>(
  args: PageArgs,
  fetchRows: (page: PageRequest) => Promise<T[]>,
  cursorOf: (row: T) => Cursor,
  info: GraphQLResolveInfo,
  count: () => Promise<number> | number,
): Promise<CountedConnection<T>> {
  const page = pageRequest(args);
  const selected = selectedFields(info);
  const [rows, totalCount] = await Promise.all([
    selected.has('edges') || selected.has('pageInfo') ? fetchRows(page) : null,
    selected.has('totalCount') ? count() : null,
  ]);
  const read = rows && toConnection(rows, page.limit, cursorOf, page);
  return Object.defineProperties(
    {},
    {
      edges: read ? { value: read.edges, enumerable: true } : notComputed('edges'),
      pageInfo: read ? { value: read.pageInfo, enumerable: true } : notComputed('pageInfo'),
      totalCount: totalCount === null ? notComputed('totalCount') : { value: totalCount, enumerable: true },
    },
  ) as CountedConnection<T>;
}

/** A page's row with an object fetched in the same statement (a member's principal, an authorization's model). */
export interface Joined<Node, Related> {
  node: Node;
  joined: Related;
}

/** The nodes of joined rows, their related objects primed in the loader that later fields read them through. */
export function primingJoined<Node, Related extends { id: string }>(
  rows: Array<Joined<Node, Related>>,
  loader: DataLoader<string, NoInfer<Related> | null>,
): Node[] {
  for (const { joined } of rows) loader.prime(joined.id, joined);
  return rows.map((row) => row.node);
}
