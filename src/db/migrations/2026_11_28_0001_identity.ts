import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table account (
      id text primary key,
      name text not null,
      email text not null,
      -- The 20-workspace limit lives in the row so that concurrent creations cannot pass it.
      workspace_count integer not null default 0 check (workspace_count between 0 and 20),
      created_at timestamptz(3) not null default now()
    );
    create unique index account_name_key on account (name);
    create unique index account_email_key on account (lower(email));

    -- The root, RAM users and RAM roles. The root's id is its account's id.
    create table principal (
      id text primary key,
      account_id text not null references account (id),
      kind text not null check (kind in ('ROOT', 'USER', 'ROLE')),
      name text not null,
      display_name text,
      description text,
      password_hash text,
      status text not null default 'ACTIVE' check (status in ('ACTIVE', 'DISABLED', 'DELETED')),
      model_studio_registered_at timestamptz(3),
      created_at timestamptz(3) not null default now(),
      deleted_at timestamptz(3)
    );
    create unique index principal_live_name_key on principal (account_id, kind, lower(name))
      where status <> 'DELETED';
    create index principal_account_page_idx on principal (account_id, kind, created_at, id);

    create table role_trust (
      role_id text not null references principal (id),
      user_id text not null references principal (id),
      account_id text not null references account (id),
      primary key (role_id, user_id)
    );
    create index role_trust_user_idx on role_trust (user_id);

    create table policy_attachment (
      principal_id text not null references principal (id),
      policy text not null,
      account_id text not null references account (id),
      attached_at timestamptz(3) not null default now(),
      primary key (principal_id, policy)
    );
  `.execute(db);
}
