import { sql, type Kysely } from 'kysely';

/**
 * Audit events get an opaque public ID (the identity column is one sequence for every account:
 * as an ID it would tell one tenant how busy the others are), and where each request came from.
 * A volatile default fills existing rows while the table is rewritten: no UPDATE, which the
 * append-only trigger would refuse.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table audit_event
      add column public_id text not null default replace(gen_random_uuid()::text, '-', ''),
      add column source_ip text,
      add column request_id text;
    create unique index audit_event_public_id_key on audit_event (public_id);
  `.execute(db);
}
