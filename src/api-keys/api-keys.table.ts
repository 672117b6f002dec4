import type { ColumnType, Selectable } from 'kysely';

export interface ApiKeyTable {
  id: string;
  account_id: string;
  workspace_id: string;
  owner_id: string;
  description: string;
  secret_prefix: string;
  secret_hash: string;
  model_scope: string[];
  ip_allowlist: string[];
  created_at: ColumnType<Date, Date | undefined, never>;
  deleted_at: Date | null;
}

export type ApiKeyRow = Selectable<ApiKeyTable>;
