import { dateColumns } from '../db/json-rows.js';
import type { ColumnType, Generated, Selectable } from 'kysely';

export type PrincipalKind = 'ROOT' | 'USER' | 'ROLE';
export type PrincipalStatus = 'ACTIVE' | 'DISABLED' | 'DELETED';
type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface AccountTable {
  id: string;
  name: string;
  email: string;
  workspace_count: Generated<number>;
  created_at: CreatedAt;
}

export interface PrincipalTable {
  id: string;
  account_id: string;
  kind: PrincipalKind;
  name: string;
  display_name: string | null;
  description: string | null;
  password_hash: string | null;
  status: Generated<PrincipalStatus>;
  model_studio_registered_at: Date | null;
  created_at: CreatedAt;
  deleted_at: Date | null;
  /** Session tokens of an earlier generation are refused: raising it ends the principal's sessions. */
  session_generation: Generated<number>;
  /** The one session of the previous generation still accepted (the one that changed the password). */
  session_kept_id: string | null;
}

export interface RoleTrustTable {
  role_id: string;
  user_id: string;
  account_id: string;
  /** Role sessions assumed before it (under an earlier, dropped trust) stay ended. */
  created_at: Generated<Date>;
}

export interface PolicyAttachmentTable {
  principal_id: string;
  policy: string;
  account_id: string;
  attached_at: CreatedAt;
}

export type AccountRow = Selectable<AccountTable>;
/** A principal as pages and authorization see it: without its password hash, which only a sign-in reads (`findPasswordHash`). */
export type PrincipalRow = Omit<Selectable<PrincipalTable>, 'password_hash'>;

/** A principal as the loaders return it: with its policies and its account's name. */
export type PrincipalView = PrincipalRow & { account_name: string; policies: string[] };

/** A principal's timestamps, for rows read as JSON (src/db/json-rows.ts). */
export const PRINCIPAL_DATE_COLUMNS = dateColumns<PrincipalRow>()('model_studio_registered_at', 'created_at', 'deleted_at');
