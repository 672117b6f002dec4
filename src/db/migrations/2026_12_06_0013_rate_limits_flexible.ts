import { sql, type Kysely } from 'kysely';

/**
 * Sign-up, login and mutation throttles count with rate-limiter-flexible (src/limits/rate-limits.ts):
 * `rate_limit_window` takes its table layout (hits as `points`, the window's end as `expire`, in
 * milliseconds since the epoch). Open login-lockout windows (15 minutes) are carried over, so that
 * a deployment does not hand a guesser a fresh allowance; the other windows (a minute or an hour
 * per address or credential) start again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table rate_limit_window rename to rate_limit_window_0008;

    create table rate_limit_window (
      key text primary key,
      points integer not null default 0,
      expire bigint
    );

    insert into rate_limit_window (key, points, expire)
      select key, hits, (extract(epoch from window_start + interval '15 minutes') * 1000)::bigint
      from rate_limit_window_0008
      where key like 'login-failures:%' and window_start > now() - interval '15 minutes';

    drop table rate_limit_window_0008;
  `.execute(db);
}
