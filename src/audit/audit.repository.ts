import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import type { PageRequest } from '../relay/connection.js';
import type { AuditEventRow, AuditEventTable, AuditOutcome } from './audit.table.js';
import type { Insertable } from 'kysely';

export type NewAuditEvent = Omit<Insertable<AuditEventTable>, 'id' | 'created_at'>;

export async function insertAuditEvent(db: DB, event: NewAuditEvent): Promise<void> {
  await db.insertInto('audit_event').values(event).execute();
}

export interface AuditFilter {
  action?: string | null;
  actorId?: string | null;
  resourceId?: string | null;
  outcome?: AuditOutcome | null;
}

const AUDIT_COLUMNS = [
  sql<string>`cast(id as text)`.as('id'),
  'account_id',
  'actor_id',
  'on_behalf_of_id',
  'via',
  'action',
  'resource_id',
  'outcome',
  'reason',
  'created_at',
] as const;

/** One event of the account's trail by its numeric ID (another account's reads as missing). */
export const findAuditEvent = (db: DB, accountId: string, id: string) =>
  db
    .selectFrom('audit_event')
    .select(AUDIT_COLUMNS)
    .where('account_id', '=', accountId)
    .where('audit_event.id', '=', sql<string>`cast(${id} as bigint)`)
    .executeTakeFirst();

/** Newest first; the cursor's second part is the last event's numeric ID. */
export async function listAuditEvents(db: DB, accountId: string, filter: AuditFilter, page: PageRequest): Promise<AuditEventRow[]> {
  let query = db
    .selectFrom('audit_event')
    .select(AUDIT_COLUMNS)
    .where('account_id', '=', accountId)
    .orderBy('audit_event.id', 'desc')
    .limit(page.limit + 1);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (page.after) query = query.where('audit_event.id', '<', sql<string>`cast(${page.after[1]} as bigint)`);
  return query.execute();
}
