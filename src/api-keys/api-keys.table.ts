import { dateColumns } from '../db/json-rows.js';
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
  /** False once disabled (`setApiKeyStatus`): the key authenticates nothing until enabled again. */
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  expires_at: Date | null;
  last_used_at: Date | null;
  /** Counts rotations: a temporary key names the generation of the secret it was derived from. */
  secret_generation: ColumnType<number, number | undefined, number>;
  /** After a rotation, the replaced secret's hash, accepted until `previous_secret_expires_at`. */
  previous_secret_hash: string | null;
  previous_secret_expires_at: Date | null;
}

export type ApiKeyRow = Selectable<ApiKeyTable>;

/** A key's timestamps, for rows read as JSON (src/db/json-rows.ts). */
export const API_KEY_DATE_COLUMNS = dateColumns<ApiKeyRow>()(
  'created_at',
  'deleted_at',
  'expires_at',
  'last_used_at',
  'previous_secret_expires_at',
);
