import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { hashPassword } from '../src/auth/passwords.js';
import { BENCH_PASSWORD, MODEL_CALL_MODEL, MODEL_CALL_PERIOD_SECONDS, MODEL_CALL_REQUEST_LIMIT, SHAPE, type Dataset } from './dataset.js';

/**
 * Seeds a dataset with set-based SQL (generate_series), never row by row. Idempotent: a
 * marker row says the dataset is complete; a half-seeded database is wiped and seeded again.
 */
export async function seed(db: Kysely<Database>, dataset: Dataset): Promise<{ seconds: number; skipped: boolean }> {
  const started = performance.now();
  await sql`create table if not exists bench_seed (name text primary key, accounts int not null, seeded_at timestamptz not null default now())`.execute(
    db,
  );
  const done = await sql<{ accounts: number }>`select accounts from bench_seed where name = ${dataset.name}`.execute(db);
  if (done.rows[0]?.accounts === dataset.accounts) {
    // A dataset seeded before AccessKey pairs (or the model-call limits) existed gets them now.
    const added = await seedAccessKeys(db, dataset);
    if (added) await sql`analyze access_key`.execute(db);
    const limited = await seedModelCallLimits(db);
    if (limited) await sql`analyze model_rate_limit`.execute(db);
    return { seconds: (performance.now() - started) / 1000, skipped: !added && !limited };
  }

  const { workspacesPerAccount: W, usersPerAccount: U, membersPerWorkspace: M, keysPerWorkspace: K } = SHAPE;
  const A = dataset.accounts;
  const passwordHash = await hashPassword(BENCH_PASSWORD, 10);
  const id = (prefix: string, expr: string, width: number) => sql.raw(`'${prefix}' || lpad((${expr})::text, ${width}, '0')`);

  await db.transaction().execute(async (trx) => {
    // Truncating the tenant tables cascades to `model` (fine-tuned models belong to workspaces):
    // keep the standard catalog aside and put it back.
    await sql`create temporary table standard_model on commit drop as select * from model where workspace_id is null`.execute(trx);
    // The trail refuses TRUNCATE (by design); a benchmark database may start over.
    await sql`alter table audit_event disable trigger audit_event_no_truncate`.execute(trx);
    await sql`truncate audit_event, knowledge_base, access_key, api_key, model_rate_limit, model_authorization, membership,
      workspace, region_activation, policy_attachment, role_trust, principal, account restart identity cascade`.execute(trx);
    await sql`alter table audit_event enable trigger audit_event_no_truncate`.execute(trx);
    await sql`insert into model select * from standard_model`.execute(trx);

    await sql`insert into account (id, name, email, workspace_count)
      select ${id('acc_', 'a', 20)}, 'bench-' || a, 'bench-' || a || '@bench.test', ${W}
      from generate_series(1, ${A}) a`.execute(trx);
    await sql`insert into principal (id, account_id, kind, name, display_name, password_hash, model_studio_registered_at)
      select ${id('rt_', 'a', 20)}, ${id('acc_', 'a', 20)}, 'ROOT', 'bench-' || a, 'bench-' || a, ${passwordHash}, now()
      from generate_series(1, ${A}) a`.execute(trx);
    // Account 1 has 120 users so that its console workspace can hold 100 members.
    await sql`insert into principal (id, account_id, kind, name, display_name, password_hash, model_studio_registered_at)
      select ${id('usr_', `(a - 1) * 1000 + u`, 20)}, ${id('acc_', 'a', 20)}, 'USER', 'u' || u, 'User ' || u, ${passwordHash}, now()
      from generate_series(1, ${A}) a, generate_series(1, ${U}) u
      union all
      select ${id('usr_', 'u', 20)}, ${id('acc_', '1', 20)}, 'USER', 'u' || u, 'User ' || u, ${passwordHash}, now()
      from generate_series(${U + 1}, 120) u`.execute(trx);
    await sql`insert into policy_attachment (principal_id, policy, account_id)
      select ${id('usr_', `(a - 1) * 1000 + 1`, 20)}, 'AliyunBailianFullAccess', ${id('acc_', 'a', 20)}
      from generate_series(1, ${A}) a`.execute(trx);
    await sql`insert into region_activation (account_id, region, activated_by)
      select ${id('acc_', 'a', 20)}, 'cn-beijing', ${id('rt_', 'a', 20)} from generate_series(1, ${A}) a`.execute(trx);
    await sql`insert into workspace (id, account_id, region, kind, name, api_key_count)
      select ${id('llm-', `(a - 1) * ${W} + k`, 16)}, ${id('acc_', 'a', 20)}, 'cn-beijing',
        case when k = 1 then 'DEFAULT' else 'SUB' end,
        case when k = 1 then 'Default Workspace' else 'ws-' || k end, ${K}
      from generate_series(1, ${A}) a, generate_series(1, ${W}) k`.execute(trx);
    await sql`insert into membership (workspace_id, principal_id, account_id, pages)
      select ${id('llm-', `(a - 1) * ${W} + k`, 16)}, ${id('usr_', `(a - 1) * 1000 + ((k * ${M} + m) % ${U}) + 1`, 20)},
        ${id('acc_', 'a', 20)}, '{MODEL_EXPERIENCE,API_KEY}'
      from generate_series(1, ${A}) a, generate_series(1, ${W}) k, generate_series(1, ${M}) m`.execute(trx);
    await sql`insert into membership (workspace_id, principal_id, account_id, pages)
      select ${id('llm-', '2', 16)}, ${id('usr_', 'u', 20)}, ${id('acc_', '1', 20)}, '{MODEL_EXPERIENCE}'
      from generate_series(1, 100) u on conflict do nothing`.execute(trx);
    await sql`insert into model_authorization (workspace_id, model_id, account_id, inference, finetune, deploy)
      select w.id, m.id, w.account_id, true, m.supports_finetune, false
      from workspace w, model m where w.kind = 'SUB' and m.id in ('qwen-max', 'qwen-plus', 'qwen-turbo')`.execute(trx);
    await sql`insert into model_rate_limit (workspace_id, model_id, account_id, request_limit, request_limit_period_seconds)
      select w.id, 'qwen-max', w.account_id, 600, 60 from workspace w where w.kind = 'SUB'`.execute(trx);
    // Key n's owner: the root for even n, otherwise one of the workspace's members.
    await sql`insert into api_key (id, account_id, workspace_id, owner_id, description, secret_prefix, secret_hash)
      select ${id('key_', 'n', 20)}, ${id('acc_', 'a', 20)}, ${id('llm-', 'w', 16)},
        case when n % 2 = 0 then ${id('rt_', 'a', 20)}
             else ${id('usr_', `(a - 1) * 1000 + ((k * ${M} + 1) % ${U}) + 1`, 20)} end,
        'bench', substr(secret, 1, 9), encode(sha256(convert_to(secret, 'UTF8')), 'hex')
      from (
        select n, a, k, w, 'sk-' || substr(translate(encode(sha256(convert_to('bench-' || n, 'UTF8')), 'base64'), '+/', '-_'), 1, 43) as secret
        from (
          select ((w - 1) * ${K} + i) as n, ((w - 1) / ${W}) + 1 as a, ((w - 1) % ${W}) + 1 as k, w
          from generate_series(1, ${A * W}) w, generate_series(1, ${K}) i
        ) keys
      ) s`.execute(trx);
    await seedAccessKeys(trx, dataset);
    await seedModelCallLimits(trx);
    await sql`insert into bench_seed (name, accounts) values (${dataset.name}, ${A})
      on conflict (name) do update set accounts = excluded.accounts, seeded_at = now()`.execute(trx);
  });
  await sql`analyze`.execute(db);
  return { seconds: (performance.now() - started) / 1000, skipped: false };
}

/**
 * One AccessKey pair for each of an account's first U users (usr_<n>, n = (a - 1) * 1000 + u):
 * `benchAccessKeyPair(n)` computes the same pair. Inserts only what is missing; true when it added any.
 */
async function seedAccessKeys(db: Kysely<Database>, dataset: Dataset): Promise<boolean> {
  const U = SHAPE.usersPerAccount;
  const expected = dataset.accounts * U;
  const present = await sql<{ n: number }>`select count(*)::int as n from access_key`.execute(db);
  if (present.rows[0]?.n === expected) return false;
  await sql`insert into access_key (id, account_id, principal_id, secret_hash)
    select 'LTAI' || lpad(n::text, 20, '0'), 'acc_' || lpad(a::text, 20, '0'), 'usr_' || lpad(n::text, 20, '0'),
      encode(sha256(convert_to(substr(translate(encode(sha256(convert_to('bench-ak-' || n, 'UTF8')), 'base64'), '+/', '-_'), 1, 32), 'UTF8')), 'hex')
    from (select a, (a - 1) * 1000 + u as n from generate_series(1, ${dataset.accounts}) a, generate_series(1, ${U}) u) users
    on conflict (id) do nothing`.execute(db);
  return true;
}

/**
 * The `authorizeModelCall` scenario's request limit on every sub-workspace's MODEL_CALL_MODEL: large
 * enough never to refuse while it is measured. Inserts only what is missing; true when it added any.
 */
async function seedModelCallLimits(db: Kysely<Database>): Promise<boolean> {
  const added = await sql`insert into model_rate_limit (workspace_id, model_id, account_id, request_limit, request_limit_period_seconds)
    select w.id, ${MODEL_CALL_MODEL}, w.account_id, ${MODEL_CALL_REQUEST_LIMIT}, ${MODEL_CALL_PERIOD_SECONDS}
    from workspace w where w.kind = 'SUB'
    on conflict (workspace_id, model_id) do nothing`.execute(db);
  return Number(added.numAffectedRows ?? 0) > 0;
}
