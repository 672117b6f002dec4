import { sql, type Kysely } from 'kysely';

/**
 * Room on each page of the credential tables for the rows' new versions: a last-use stamp
 * (src/auth/last-use.ts) rewrites a row, and a new version that fits on its page is a HOT update,
 * which touches no index. Full pages sent each stamp to another page, with a new entry in every
 * index of the table (six for `api_key`): `npm run bench:explain` shows both. Pages written from
 * now on keep a tenth free; pages written before get the room when the table is rewritten
 * (`VACUUM FULL`, `pg_repack`: docs/deployment.md).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table api_key set (fillfactor = 90);
    alter table access_key set (fillfactor = 90);
  `.execute(db);
}
