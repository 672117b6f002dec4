import { sql, type Kysely } from 'kysely';

/** Fixed-window counters shared by every server process (sign-up and login throttling). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table rate_limit_window (
      key text primary key,
      window_start timestamptz(3) not null,
      hits integer not null
    );
  `.execute(db);
}
