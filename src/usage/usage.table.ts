import type { ColumnType, Selectable } from 'kysely';

/** rate-limiter-flexible's PostgreSQL layout: points consumed in the window ending at `expire` (epoch ms). */
export interface ModelCallCounterTable {
  key: string;
  /** bigint, as text. */
  points: string;
  expire: string | null;
}

export interface WorkspaceBudgetTable {
  workspace_id: string;
  account_id: string;
  /** US dollars a month; numeric, read as a number. */
  monthly_limit: ColumnType<number, number, number>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface WorkspaceSpendTable {
  workspace_id: string;
  /** The first day of the month. */
  month: ColumnType<Date, string, string>;
  spent: ColumnType<number, number, number>;
}

export interface ModelUsageTable {
  call_id: string;
  account_id: string;
  workspace_id: string;
  model_id: string;
  api_key_id: string;
  input_tokens: number;
  output_tokens: number;
  cost: ColumnType<number, number, never>;
  called_at: Date;
  recorded_at: ColumnType<Date, Date | undefined, never>;
}

export type WorkspaceBudgetRow = Selectable<WorkspaceBudgetTable>;
export type ModelUsageRow = Selectable<ModelUsageTable>;
