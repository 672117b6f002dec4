import type { AuditChange } from './audit.table.js';

/**
 * What an audit event says a change changed: `[{ field, before, after }]`, one entry per field
 * that differs. The convention, for every audited mutation:
 *
 * - `field` is the API's name of the field (camelCase, as the GraphQL types, or else the inputs, spell it:
 *   `name`, `pages`, `monthlyLimit`, `trustedUserIds`); a field that is an object in the API
 *   (`owner`, `workspace`, `baseModel`) records its ID, as the API shows it.
 * - A creation lists the fields it sets, with `before: null`; a removal the fields it removes, with
 *   `after: null` (null: no value; the thing did not exist, or no longer does). An update lists
 *   the fields whose value differs.
 * - A change inside the event's resource (a member of a workspace, a model's authorization or rate
 *   limit in a workspace) lists first the fields that say which (`principal`, `model`: the
 *   fields of `Membership`, `ModelAuthorization` and `ModelRateLimit`, as IDs), even unchanged:
 *   `setMemberPermissions` on workspace W records
 *   `[{ field: 'principal', before: 'usr_…', after: 'usr_…' }, { field: 'pages', before: […], after: […] }]`
 *   (`before: null` for a new member); `removeMember` records `after: null` for both.
 * - Values are JSON: dates as ISO 8601 strings, lists as lists (compared as sets: the same items in
 *   another order are no change).
 * - Secrets never appear: a password change says `{ field: 'password', before: null, after: null }`
 *   (`fieldOnly`), a rotation the key's `prefix` before and after (the part of a key anyone may
 *   see), never a secret or a hash. Ended sessions say `{ field: 'sessions' }` the same way.
 */

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * A field by its API name, read from a row or a plain object: the property of that name, else its
 * snake_case column (`modelScope` reads `model_scope`), else, for a field that is an object in the
 * API (`owner`, `model`, `principal`), its ID's column (`owner_id`). Or the name with how to read it,
 * where the column says it otherwise (`['prefix', (key) => key.secret_prefix]`).
 */
export type AuditField<State> = string | readonly [field: string, read: (state: State) => unknown];

function read(state: object, field: string): unknown {
  const record = state as Record<string, unknown>;
  if (field in record) return record[field];
  const column = snakeCase(field);
  return column in record ? record[column] : record[`${column}_id`];
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
  const key = (value: unknown) => JSON.stringify(Array.isArray(value) ? value.map((item) => JSON.stringify(item)).sort() : value);
  return key(a) === key(b);
}

/**
 * The changes between two states of one thing (a row, or an object with the fields' names).
 * `before` absent: it was created; `after` absent: it was removed. `keys` are listed first even
 * when unchanged (they say which thing inside the resource), then each of `fields` that differs.
 */
export function changesBetween<State extends object>(
  before: State | null | undefined,
  after: State | null | undefined,
  fields: ReadonlyArray<AuditField<State>>,
  keys: ReadonlyArray<AuditField<State>> = [],
): AuditChange[] {
  const change = (spec: AuditField<State>): AuditChange => {
    const [field, reader] = typeof spec === 'string' ? [spec, (state: State) => read(state, spec)] : spec;
    return { field, before: before ? auditValue(reader(before)) : null, after: after ? auditValue(reader(after)) : null };
  };
  return [...keys.map(change), ...fields.map(change).filter((entry) => !sameValue(entry.before, entry.after))];
}

/** A change whose values are never recorded (a password), or that has none (sessions ended): the field alone. */
export const fieldOnly = (field: string): AuditChange => ({ field, before: null, after: null });
