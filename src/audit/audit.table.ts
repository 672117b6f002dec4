import type { ColumnType, Generated, Selectable } from 'kysely';

export type AuditVia = 'SESSION' | 'ROLE_SESSION' | 'ACCESS_KEY' | 'API_KEY' | 'ANONYMOUS';
export type AuditOutcome = 'SUCCESS' | 'DENIED';

/** One field a change changed; values are JSON (strings, numbers, lists, null). */
export interface AuditChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface AuditEventTable {
  /** bigint identity: the trail's order, never shown (it counts every account's events). */
  id: Generated<string>;
  /** 32 random hex digits: the event's global ID (`aud_<public_id>`) and its cursor. */
  public_id: Generated<string>;
  account_id: string;
  actor_id: string | null;
  on_behalf_of_id: string | null;
  via: AuditVia;
  action: string;
  resource_id: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  /** The client's address as the gateway believed it (behind trusted proxies, the forwarded one). */
  source_ip: string | null;
  /** The request's ID, as in its log line. */
  request_id: string | null;
  /** What the change changed: `[{ field, before, after }]` (JSON); null for events that change nothing. */
  changes: ColumnType<AuditChange[] | null, string | null | undefined, never>;
  /** The client's User-Agent, cut to 256 characters. */
  user_agent: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** An event as the API reads it: `id` is its public ID. */
export type AuditEventRow = Omit<Selectable<AuditEventTable>, 'public_id'>;
