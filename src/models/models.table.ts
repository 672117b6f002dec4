import type { ColumnType, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface ModelTable {
  id: string;
  display_name: string;
  description: string;
  supports_inference: boolean;
  supports_finetune: boolean;
  supports_deploy: boolean;
  /** Set for fine-tuned models only: the workspace (and its account) that owns it. */
  account_id: string | null;
  workspace_id: string | null;
  base_model_id: string | null;
  /** US dollars per million tokens (illustrative); null for fine-tuned models, which are priced as their base model. */
  input_price_per_million: ColumnType<number | null, number | null | undefined, number | null>;
  output_price_per_million: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
}

export interface ModelAuthorizationTable {
  workspace_id: string;
  model_id: string;
  account_id: string;
  inference: boolean;
  finetune: boolean;
  deploy: boolean;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ModelRateLimitTable {
  workspace_id: string;
  model_id: string;
  account_id: string;
  request_limit: number | null;
  request_limit_period_seconds: number | null;
  usage_limit: number | null;
  usage_limit_period_seconds: number | null;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type ModelRow = Selectable<ModelTable>;
export type ModelAuthorizationRow = Selectable<ModelAuthorizationTable>;
export type ModelRateLimitRow = Selectable<ModelRateLimitTable>;
