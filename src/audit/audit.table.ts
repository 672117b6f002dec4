import type { ColumnType, Generated, Selectable } from 'kysely';

export type AuditVia = 'SESSION' | 'API_KEY' | 'ANONYMOUS';
export type AuditOutcome = 'SUCCESS' | 'DENIED';

export interface AuditEventTable {
  /** bigint identity; read it as text (`cast(id as text)`) so both drivers agree. */
  id: Generated<string>;
  account_id: string;
  actor_id: string | null;
  on_behalf_of_id: string | null;
  via: AuditVia;
  action: string;
  resource_id: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export type AuditEventRow = Selectable<AuditEventTable>;
