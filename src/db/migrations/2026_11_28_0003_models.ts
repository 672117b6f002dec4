import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- Standard models (workspace_id null) and fine-tuned models (owned by one workspace).
    create table model (
      id text primary key,
      display_name text not null,
      description text not null default '',
      supports_inference boolean not null default true,
      supports_finetune boolean not null default false,
      supports_deploy boolean not null default false,
      account_id text references account (id),
      workspace_id text references workspace (id),
      base_model_id text references model (id),
      created_at timestamptz(3) not null default now(),
      check ((workspace_id is null) = (account_id is null))
    );
    create index model_workspace_idx on model (workspace_id) where workspace_id is not null;

    create table model_authorization (
      workspace_id text not null references workspace (id),
      model_id text not null references model (id),
      account_id text not null references account (id),
      inference boolean not null default false,
      finetune boolean not null default false,
      deploy boolean not null default false,
      updated_at timestamptz(3) not null default now(),
      primary key (workspace_id, model_id)
    );

    create table model_rate_limit (
      workspace_id text not null references workspace (id),
      model_id text not null references model (id),
      account_id text not null references account (id),
      request_limit integer check (request_limit > 0),
      request_limit_period_seconds integer check (request_limit_period_seconds > 0),
      usage_limit integer check (usage_limit > 0),
      usage_limit_period_seconds integer check (usage_limit_period_seconds > 0),
      updated_at timestamptz(3) not null default now(),
      primary key (workspace_id, model_id),
      check ((request_limit is null) = (request_limit_period_seconds is null)),
      check ((usage_limit is null) = (usage_limit_period_seconds is null)),
      check (request_limit is not null or usage_limit is not null)
    );

    insert into model (id, display_name, description, supports_inference, supports_finetune, supports_deploy) values
      ('qwen-max', 'Qwen-Max', 'The most capable Qwen model, for complex multi-step tasks.', true, false, false),
      ('qwen-plus', 'Qwen-Plus', 'Balanced capability, speed and cost.', true, true, true),
      ('qwen-turbo', 'Qwen-Turbo', 'Fast and low-cost, for simple tasks.', true, true, true),
      ('qwen-vl-max', 'Qwen-VL-Max', 'Vision-language model for image understanding.', true, false, false),
      ('text-embedding-v3', 'Text Embedding v3', 'Multilingual text embeddings.', true, false, false),
      ('deepseek-r1', 'DeepSeek-R1', 'Reasoning model.', true, false, true);
  `.execute(db);
}
