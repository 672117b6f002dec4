import type { ColumnType, Selectable } from 'kysely';

export type AccessKeyStatus = 'ACTIVE' | 'INACTIVE';

export interface AccessKeyTable {
  /** The AccessKeyId (`LTAI…`): public, sent with the secret as `<AccessKeyId>:<secret>`. */
  id: string;
  account_id: string;
  principal_id: string;
  secret_hash: string;
  status: ColumnType<AccessKeyStatus, AccessKeyStatus | undefined, AccessKeyStatus>;
  created_at: ColumnType<Date, Date | undefined, never>;
  last_used_at: Date | null;
}

export type AccessKeyRow = Selectable<AccessKeyTable>;
