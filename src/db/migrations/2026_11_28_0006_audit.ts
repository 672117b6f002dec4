import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table audit_event (
      id bigint generated always as identity primary key,
      account_id text not null references account (id),
      actor_id text references principal (id),
      -- The user who assumed the role, for role sessions.
      on_behalf_of_id text references principal (id),
      via text not null check (via in ('SESSION', 'API_KEY', 'ANONYMOUS')),
      action text not null,
      resource_id text,
      outcome text not null check (outcome in ('SUCCESS', 'DENIED')),
      reason text,
      created_at timestamptz(3) not null default now()
    );
    create index audit_event_account_page_idx on audit_event (account_id, id desc);

    -- Nobody edits the trail: not the API, not a bug in it.
    create function audit_event_is_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_event is append-only';
    end;
    $$;
    create trigger audit_event_append_only before update or delete on audit_event
      for each statement execute function audit_event_is_append_only();
  `.execute(db);
}
