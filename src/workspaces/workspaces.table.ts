import { dateColumns } from '../db/json-rows.js';
import type { ColumnType, Generated, Selectable } from 'kysely';

export type WorkspaceKind = 'DEFAULT' | 'SUB';
type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface RegionActivationTable {
  account_id: string;
  region: string;
  activated_by: string;
  activated_at: CreatedAt;
}

export interface WorkspaceTable {
  id: string;
  account_id: string;
  region: string;
  kind: WorkspaceKind;
  name: string;
  all_models_open: Generated<boolean>;
  api_key_count: Generated<number>;
  created_at: CreatedAt;
}

export interface MembershipTable {
  workspace_id: string;
  principal_id: string;
  account_id: string;
  pages: string[];
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type WorkspaceRow = Selectable<WorkspaceTable>;
export type MembershipRow = Selectable<MembershipTable>;

/** A membership's timestamps, for rows read as JSON (src/db/json-rows.ts). */
export const MEMBERSHIP_DATE_COLUMNS = dateColumns<MembershipRow>()('created_at', 'updated_at');
