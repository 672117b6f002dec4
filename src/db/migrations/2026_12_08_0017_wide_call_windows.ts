import { sql, type Kysely } from 'kysely';

/**
 * A model call's window counts in 64 bits. A token window's limit may be up to 2^31 − 1, and a
 * recorded call counts even past it (the call happened), so its points can pass a 32-bit
 * integer: the upsert then failed, and every later recording in that window with it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table model_call_counter alter column points type bigint`.execute(db);
}
