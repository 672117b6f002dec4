import { ID_PREFIX } from '../ids.js';
import type { AuditChange, AuditEventRow } from './audit.table.js';

/** A change as the API shows it: `before` and `after` as JSON text, null for no value. */
export interface AuditChangeView {
  field: string;
  before: string | null;
  after: string | null;
}

const jsonText = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** The changes of an event as `AuditEvent.changes` shows them (none for events that recorded none). */
export const changesView = (changes: readonly AuditChange[] | null): AuditChangeView[] =>
  (changes ?? []).map((change) => ({ field: change.field, before: jsonText(change.before), after: jsonText(change.after) }));

/** The event's global ID (`aud_…`). */
export const auditEventId = (row: Pick<AuditEventRow, 'id'>) => `${ID_PREFIX.auditEvent}${row.id}`;

/** An event with the fields and values of the GraphQL `AuditEvent` type: one line of the NDJSON export. */
export const auditEventView = (row: AuditEventRow) => ({
  id: auditEventId(row),
  action: row.action,
  actorId: row.actor_id,
  onBehalfOfId: row.on_behalf_of_id,
  via: row.via,
  resourceId: row.resource_id,
  outcome: row.outcome,
  reason: row.reason,
  sourceIp: row.source_ip,
  userAgent: row.user_agent,
  requestId: row.request_id,
  changes: changesView(row.changes),
  createdAt: row.created_at.toISOString(),
});
