import { sql, type Kysely } from 'kysely';

/**
 * Credentials for programs. AccessKey pairs let a RAM user's scripts act as the user; API keys
 * gain an owner-independent lifecycle: disabled, expiring, rotated with a grace period during
 * which the previous secret still works (`secret_generation` tells temporary keys derived from
 * the previous secret from those of the current one). Audit events name every credential kind.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table access_key (
      -- The AccessKeyId: 'LTAI' and 20 characters; public, like a user name.
      id text primary key,
      account_id text not null references account (id),
      principal_id text not null references principal (id),
      -- SHA-256 of the secret, hex: the secret is random, so a slow hash adds nothing.
      secret_hash text not null,
      status text not null default 'ACTIVE' check (status in ('ACTIVE', 'INACTIVE')),
      created_at timestamptz(3) not null default now(),
      last_used_at timestamptz(3)
    );
    create index access_key_principal_idx on access_key (principal_id, created_at, id);

    alter table api_key
      add column enabled boolean not null default true,
      add column expires_at timestamptz(3),
      add column last_used_at timestamptz(3),
      add column secret_generation integer not null default 1,
      add column previous_secret_hash text,
      add column previous_secret_expires_at timestamptz(3);
    create unique index api_key_previous_secret_hash_key on api_key (previous_secret_hash) where previous_secret_hash is not null;

    alter table audit_event drop constraint audit_event_via_check;
    alter table audit_event add constraint audit_event_via_check
      check (via in ('SESSION', 'ROLE_SESSION', 'ACCESS_KEY', 'API_KEY', 'ANONYMOUS'));
  `.execute(db);
}
