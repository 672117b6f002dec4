import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table region_activation (
      account_id text not null references account (id),
      region text not null,
      activated_by text not null references principal (id),
      activated_at timestamptz(3) not null default now(),
      primary key (account_id, region)
    );

    create table workspace (
      id text primary key check (id ~ '^llm-[a-z0-9]{16}$'),
      account_id text not null references account (id),
      region text not null,
      kind text not null check (kind in ('DEFAULT', 'SUB')),
      name text not null check (char_length(name) between 1 and 64),
      -- "Open all": inference for every standard model, present and future.
      all_models_open boolean not null default false,
      -- The 20-key limit lives in the row so that concurrent creations cannot pass it.
      api_key_count integer not null default 0 check (api_key_count between 0 and 20),
      created_at timestamptz(3) not null default now(),
      foreign key (account_id, region) references region_activation (account_id, region)
    );
    create unique index workspace_name_key on workspace (account_id, region, name);
    create unique index workspace_default_key on workspace (account_id, region) where kind = 'DEFAULT';
    create index workspace_account_page_idx on workspace (account_id, created_at, id);

    create table membership (
      workspace_id text not null references workspace (id),
      principal_id text not null references principal (id),
      account_id text not null references account (id),
      pages text[] not null default '{}',
      created_at timestamptz(3) not null default now(),
      updated_at timestamptz(3) not null default now(),
      primary key (workspace_id, principal_id)
    );
    create index membership_principal_idx on membership (principal_id, workspace_id);
    create index membership_workspace_page_idx on membership (workspace_id, created_at, principal_id);
  `.execute(db);
}
