import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table api_key (
      id text primary key,
      account_id text not null references account (id),
      workspace_id text not null references workspace (id),
      owner_id text not null references principal (id),
      description text not null default '',
      -- What the console shows once the secret is gone: 'sk-' and the next characters.
      secret_prefix text not null,
      -- SHA-256 of the secret, hex. Secrets are 190 random bits: a slow hash adds nothing.
      secret_hash text not null,
      model_scope text[] not null default '{}',
      ip_allowlist text[] not null default '{}',
      created_at timestamptz(3) not null default now(),
      deleted_at timestamptz(3)
    );
    create unique index api_key_secret_hash_key on api_key (secret_hash);
    create index api_key_workspace_page_idx on api_key (workspace_id, created_at, id) where deleted_at is null;
    create index api_key_owner_idx on api_key (owner_id) where deleted_at is null;
  `.execute(db);
}
