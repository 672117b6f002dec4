import { sql, type Kysely } from 'kysely';

/**
 * The WAL position after the latest committed permission write (src/consistency/): a gateway
 * reads from a replica only once that replica has replayed this far, so that no stale replica
 * undoes a revocation. One row, only ever raised.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table consistency_watermark (
      id smallint primary key check (id = 1),
      lsn pg_lsn not null
    );
    insert into consistency_watermark (id, lsn) values (1, '0/0');
  `.execute(db);
}
