import type DataLoader from 'dataloader';
import { pairAfter } from '../db/row-comparisons.js';
import { badUserInput } from '../errors.js';
import { isNumberPastBigint, isStorableText } from '../limits/postgres-bounds.js';

export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** A keyset position: the sort key of the last row seen. */
export type Cursor = readonly [string, string];

export interface PageRequest {
  limit: number;
  after: Cursor | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

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

/** Validates `first`/`after` (at most 100 per page, cursors this server issued). */
export function pageRequest(args: PageArgs): PageRequest {
  const limit = args.first ?? 20;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_SIZE) {
    throw badUserInput('first', `must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  if (args.after == null) return { limit, after: null };
  const after = decodeCursor(args.after);
  if (!after) throw badUserInput('after', 'is not a cursor of this connection');
  return { limit, after };
}

/** Rows fetched with `limit + 1` become a page; the extra row only says that another page follows. */
export function toConnection<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
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

/** Parses a creation cursor's timestamp, refusing a forged one: any timestamp but those `byCreation` issues. */
export function creationCursor(cursor: Cursor): { createdAt: Date; id: string } {
  const createdAt = new Date(cursor[0]);
  const issued = ISSUED_TIMESTAMP.test(cursor[0]) && createdAt.toISOString() === cursor[0];
  if (!issued) throw badUserInput('after', 'is not a cursor of this connection');
  return { createdAt, id: cursor[1] };
}

/** A connection field's page: validates `first`/`after`, fetches `limit + 1` rows, builds the edges. */
export async function connection<T>(
  args: PageArgs,
  fetchRows: (page: PageRequest) => Promise<T[]>,
  cursorOf: (row: T) => Cursor,
): Promise<Connection<T>> {
  const page = pageRequest(args);
  return toConnection(await fetchRows(page), page.limit, cursorOf);
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
