import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table knowledge_base (
      id text primary key,
      account_id text not null references account (id),
      workspace_id text not null references workspace (id),
      name text not null check (char_length(name) between 1 and 64),
      description text not null default '',
      created_by text not null references principal (id),
      created_at timestamptz(3) not null default now()
    );
    create unique index knowledge_base_name_key on knowledge_base (workspace_id, name);
    create index knowledge_base_workspace_page_idx on knowledge_base (workspace_id, created_at, id);
  `.execute(db);
}
