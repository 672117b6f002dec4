import { sql, type Kysely } from 'kysely';

/**
 * Enforcement of model calls. `model_call_counter` is rate-limiter-flexible's table layout (its
 * PostgreSQL store counts there when Redis is not configured). Prices are per million tokens, in
 * US dollars, and illustrative: they are not Model Studio's price list. Each recorded call is one
 * row of `model_usage` (the call ID is its key, so a call is recorded once); `workspace_spend`
 * keeps each month's total, which `authorizeModelCall` compares with the workspace's budget.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table model_call_counter (
      key text primary key,
      points integer not null default 0,
      expire bigint
    );

    alter table model
      add column input_price_per_million double precision,
      add column output_price_per_million double precision;
    update model set input_price_per_million = prices.input, output_price_per_million = prices.output
      from (values
        ('qwen-max', 1.6, 6.4),
        ('qwen-plus', 0.4, 1.2),
        ('qwen-turbo', 0.05, 0.2),
        ('qwen-vl-max', 0.8, 3.2),
        ('text-embedding-v3', 0.07, 0.0),
        ('deepseek-r1', 0.55, 2.19)
      ) as prices (id, input, output)
      where model.id = prices.id;

    create table workspace_budget (
      workspace_id text primary key references workspace (id),
      account_id text not null references account (id),
      monthly_limit numeric(16, 4) not null check (monthly_limit >= 0),
      updated_at timestamptz(3) not null default now()
    );

    create table workspace_spend (
      workspace_id text not null references workspace (id),
      month date not null,
      spent numeric(20, 8) not null default 0,
      primary key (workspace_id, month)
    );

    create table model_usage (
      call_id text primary key,
      account_id text not null references account (id),
      workspace_id text not null references workspace (id),
      model_id text not null,
      api_key_id text not null references api_key (id),
      input_tokens integer not null check (input_tokens >= 0),
      output_tokens integer not null check (output_tokens >= 0),
      cost numeric(20, 8) not null,
      called_at timestamptz(3) not null,
      recorded_at timestamptz(3) not null default now()
    );
    create index model_usage_workspace_idx on model_usage (workspace_id, called_at);
  `.execute(db);
}
