import { badUserInput } from '../errors.js';
import { isStorableText } from '../limits/postgres-bounds.js';
import { type Cursor, pageRequest } from '../relay/connection.js';
import type { AuditFilter } from './audit.repository.js';
import type { AuditOutcome } from './audit.table.js';

const MAX_FILTER_TEXT = 128;

/** The instants PostgreSQL and PGlite both take (years 1-9999; PGlite cannot parse `+275000-…`). */
const storableInstant = (date: Date) => !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;

/**
 * A filter of the audit trail, checked: texts of at most 128 characters that PostgreSQL can hold,
 * instants between the years 1 and 9999, `until` after `since`. Errors name the field as
 * `prefix` + its name (`filter.action` for `auditEvents`, `action` for the export's parameters).
 */
export function checkedAuditFilter(filter: AuditFilter, prefix: string): AuditFilter {
  for (const field of ['action', 'actorId', 'resourceId'] as const) {
    const value = filter[field];
    if (value == null) continue;
    if (value.length > MAX_FILTER_TEXT) throw badUserInput(`${prefix}${field}`, `must be at most ${MAX_FILTER_TEXT} characters`);
    if (!isStorableText(value)) throw badUserInput(`${prefix}${field}`, 'contains characters that cannot be stored');
  }
  for (const field of ['since', 'until'] as const) {
    const value = filter[field];
    if (value != null && !storableInstant(value))
      throw badUserInput(`${prefix}${field}`, 'must be an instant between the years 1 and 9999');
  }
  if (filter.since && filter.until && filter.until.getTime() <= filter.since.getTime()) {
    throw badUserInput(`${prefix}until`, 'must be after since');
  }
  return filter;
}

const OUTCOMES: readonly AuditOutcome[] = ['SUCCESS', 'DENIED'];
const TEXT_PARAMETERS = ['action', 'actorId', 'resourceId'] as const;
const EXPORT_PARAMETERS = new Set<string>([...TEXT_PARAMETERS, 'outcome', 'since', 'until', 'after']);

/**
 * The export's query parameters as a filter (the fields of `AuditEventFilter`, instants in ISO 8601)
 * and its cursor (`after`, as `auditEvents` issues them). An unknown or repeated parameter is
 * refused: a misspelt filter must not export the whole trail.
 */
export function auditExportParameters(params: URLSearchParams): { filter: AuditFilter; after: string | null } {
  for (const name of new Set(params.keys())) {
    if (!EXPORT_PARAMETERS.has(name)) throw badUserInput(name, `is not a parameter of the export (${[...EXPORT_PARAMETERS].join(', ')})`);
    if (params.getAll(name).length > 1) throw badUserInput(name, 'is given more than once');
  }
  const filter: AuditFilter = {};
  for (const name of TEXT_PARAMETERS) {
    const value = params.get(name);
    if (value) filter[name] = value;
  }
  const outcome = params.get('outcome');
  if (outcome) {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) throw badUserInput('outcome', `must be one of ${OUTCOMES.join(', ')}`);
    filter.outcome = outcome as AuditOutcome;
  }
  for (const name of ['since', 'until'] as const) {
    const value = params.get(name);
    if (!value) continue;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw badUserInput(name, 'must be an ISO 8601 instant (2026-12-06T12:00:00Z)');
    filter[name] = date;
  }
  return { filter: checkedAuditFilter(filter, ''), after: params.get('after') || null };
}

/** An audit trail position: `['', <public ID>]` (`auditEvents`' cursors); anything else is refused. */
export function checkedAuditCursor(cursor: Cursor | null): Cursor | null {
  if (cursor && !/^[0-9a-f]{32}$/.test(cursor[1])) throw badUserInput('after', 'is not a cursor of this connection');
  return cursor;
}

/** The position an `after` cursor names, as `auditEvents` issues them; null: from the newest event. */
export const auditCursor = (after: string | null): Cursor | null => checkedAuditCursor(pageRequest({ first: 0, after }).after);
