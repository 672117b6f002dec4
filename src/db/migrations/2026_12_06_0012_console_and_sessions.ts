import { sql, type Kysely } from 'kysely';

/**
 * Sessions that can be ended: a session token carries its principal's `session_generation`, and
 * raising it ends every earlier token (`revokeSessions`), but the one `session_kept_id` names
 * (`changePassword` keeps the session that changed it). A role session is as old as the trust
 * it was assumed under: trust given again later does not revive it. Audit events say what
 * changed and with which client.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table principal
      add column session_generation integer not null default 0,
      add column session_kept_id text;

    alter table role_trust add column created_at timestamptz(3) not null default now();

    alter table audit_event
      add column changes jsonb,
      add column user_agent text;
  `.execute(db);
}
