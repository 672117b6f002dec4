import { sql, type Kysely } from 'kysely';

/** TRUNCATE is neither UPDATE nor DELETE: refuse it too, so the trail cannot be wiped. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create trigger audit_event_no_truncate before truncate on audit_event
      for each statement execute function audit_event_is_append_only();
  `.execute(db);
}
