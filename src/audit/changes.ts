import type { AuditChange } from './audit.table.js';

/**
 * What an audit event says a change changed: `[{ field, before, after }]`, one entry per field
 * that differs. The convention, for every audited mutation:
 *
 * - `field` is the API's name of the field (camelCase, as the GraphQL types and inputs spell it:
 *   `name`, `pages`, `monthlyLimit`, `trustedUserIds`); IDs are the API's IDs.
 * - A creation lists every field with `before: null`; a removal every field with `after: null`
 *   (null: the thing did not exist, or no longer does).
 * - A change inside the event's resource (a member of a workspace, a model's authorization or rate
 *   limit in a workspace) lists first the fields that say which (`principalId`, `modelId`), even
 *   unchanged: `setMemberPermissions` on workspace W records
 *   `[{ field: 'principalId', before: 'usr_…', after: 'usr_…' }, { field: 'pages', before: […], after: […] }]`
 *   (`before: null` for a new member); `removeMember` records `after: null` for both.
 * - Values are JSON: dates as ISO 8601 strings, lists as lists (compared as sets: the same items in
 *   another order are no change).
 * - Secrets never appear: a password change says `{ field: 'password', before: null, after: null }`,
 *   a rotation the new `secretPrefix` (the part of a key anyone may see), never a secret or a hash.
 */

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A field of a row or of a plain object: its camelCase name, else its snake_case column. */
function read(state: object, field: string): unknown {
  const record = state as Record<string, unknown>;
  return field in record ? record[field] : record[snakeCase(field)];
}

/** A value as the trail stores it (JSON). */
export function auditValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(auditValue);
  return value;
}

/** Lists compare as sets. */
function sameValue(a: unknown, b: unknown): boolean {
  const key = (value: unknown) =>
    JSON.stringify(Array.isArray(value) ? value.map((item) => JSON.stringify(item)).sort() : value);
  return key(a) === key(b);
}

/**
 * The changes between two states of one thing (a row, or an object with the fields' names).
 * `before` absent: it was created; `after` absent: it was removed. `keys` are listed even when
 * unchanged (what says which thing inside the resource), then every field of `fields` that differs.
 */
export function changesBetween(
  before: object | null | undefined,
  after: object | null | undefined,
  fields: readonly string[],
  keys: readonly string[] = [],
): AuditChange[] {
  const valueIn = (state: object | null | undefined, field: string) => (state ? auditValue(read(state, field)) : null);
  const change = (field: string): AuditChange => ({ field, before: valueIn(before, field), after: valueIn(after, field) });
  return [
    ...keys.map(change),
    ...fields
      .filter((field) => !keys.includes(field))
      .map(change)
      .filter((entry) => !sameValue(entry.before, entry.after)),
  ];
}

/** A change of something whose value is never recorded (a password): the field alone. */
export const redactedChange = (field: string): AuditChange => ({ field, before: null, after: null });
