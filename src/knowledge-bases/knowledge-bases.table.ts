import type { ColumnType, Selectable } from 'kysely';

export interface KnowledgeBaseTable {
  id: string;
  account_id: string;
  workspace_id: string;
  name: string;
  description: string;
  created_by: string;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export type KnowledgeBaseRow = Selectable<KnowledgeBaseTable>;
