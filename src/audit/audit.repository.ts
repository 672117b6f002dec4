import { sql, type Insertable, type RawBuilder } from 'kysely';
import type { DB } from '../db/database.js';
import { keysetPage, type PageRequest } from '../relay/connection.js';
import type { AuditEventRow, AuditEventTable, AuditOutcome } from './audit.table.js';

/** Every event says where its request came from and with which client (`requestOrigin`). */
export type NewAuditEvent = Omit<Insertable<AuditEventTable>, 'id' | 'public_id' | 'created_at'> &
  Pick<AuditEventTable, 'source_ip' | 'request_id' | 'user_agent'>;

export async function insertAuditEvent(db: DB, event: NewAuditEvent): Promise<void> {
  await db.insertInto('audit_event').values(event).execute();
}

/**
 * A failed login's event, in the account of the principal `principalId` names, or nothing when
 * the login name named nobody. The same statement runs either way, so that the answer's timing
 * does not tell known names from unknown ones.
 */
export async function insertLoginFailure(
  db: DB,
  principalId: string | null,
  event: Omit<NewAuditEvent, 'account_id' | 'resource_id'>,
): Promise<void> {
  await db
    .insertInto('audit_event')
    .columns([
      'account_id',
      'resource_id',
      'actor_id',
      'on_behalf_of_id',
      'via',
      'action',
      'outcome',
      'reason',
      'source_ip',
      'request_id',
      'user_agent',
    ])
    .expression((eb) =>
      eb
        .selectFrom('principal')
        .select([
          'account_id',
          'id',
          eb.val(event.actor_id ?? null).as('actor_id'),
          eb.val(event.on_behalf_of_id ?? null).as('on_behalf_of_id'),
          eb.val(event.via).as('via'),
          eb.val(event.action).as('action'),
          eb.val(event.outcome).as('outcome'),
          eb.val(event.reason ?? null).as('reason'),
          eb.val(event.source_ip).as('source_ip'),
          eb.val(event.request_id).as('request_id'),
          eb.val(event.user_agent).as('user_agent'),
        ])
        // No principal has the empty ID: an unknown name inserts nothing.
        .where('id', '=', principalId ?? ''),
    )
    .execute();
}

export interface AuditFilter {
  action?: string | null;
  actorId?: string | null;
  resourceId?: string | null;
  outcome?: AuditOutcome | null;
  /** Only events at or after this instant. */
  since?: Date | null;
  /** Only events before this instant. */
  until?: Date | null;
}

const AUDIT_COLUMNS = [
  'public_id as id',
  'account_id',
  'actor_id',
  'on_behalf_of_id',
  'via',
  'action',
  'resource_id',
  'outcome',
  'reason',
  'source_ip',
  'request_id',
  'user_agent',
  'changes',
  'created_at',
] as const;

/** One event of the account's trail by its public ID (another account's reads as missing). */
export const findAuditEvent = (db: DB, accountId: string, publicId: string): Promise<AuditEventRow | undefined> =>
  db
    .selectFrom('audit_event')
    .select(AUDIT_COLUMNS)
    .where('account_id', '=', accountId)
    .where('public_id', '=', publicId)
    .executeTakeFirst();

/** Newest first; a cursor's second part is an event's public ID. */
export async function listAuditEvents(db: DB, accountId: string, filter: AuditFilter, page: PageRequest): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_event').select(AUDIT_COLUMNS).where('account_id', '=', accountId);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.since) query = query.where('created_at', '>=', filter.since);
  if (filter.until) query = query.where('created_at', '<', filter.until);
  // The position of an event of this trail; another account's event (or none) is none: the page is empty.
  const position = (publicId: string) =>
    db.selectFrom('audit_event as seen').select('seen.id').where('seen.account_id', '=', accountId).where('seen.public_id', '=', publicId);
  const bounds: Array<RawBuilder<boolean>> = [];
  // Newest first: the events after a cursor are older (smaller IDs), those before it newer.
  if (page.after) bounds.push(sql<boolean>`${sql.ref('audit_event.id')} < (${position(page.after[1])})`);
  if (page.before) bounds.push(sql<boolean>`${sql.ref('audit_event.id')} > (${position(page.before[1])})`);
  return keysetPage(query, page, ['audit_event.id'], bounds, 'desc').execute();
}
