/**
 * `npm run bench:explain`: EXPLAIN (ANALYZE, BUFFERS) of the hot queries on the large benchmark dataset,
 * captured from the repository functions themselves (Kysely's query log), not retyped.
 */
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { hashApiKeySecret } from '../src/auth/credential-secrets.js';
import { LastUseRecorder } from '../src/auth/last-use.js';
import { createLogger } from '../src/logger.js';
import type { DB } from '../src/db/database.js';
import type { Database } from '../src/db/schema.js';
import { findPrincipalsByIds } from '../src/identity/identity.repository.js';
import { findModelCall, listAuthorizations } from '../src/models/models.repository.js';
import { listMembers } from '../src/workspaces/workspaces.repository.js';
import { CONSOLE_WORKSPACE, benchKeyId, benchKeySecret, pad } from './dataset.js';

const url = process.env.BENCH_EXPLAIN_URL ?? 'postgres://postgres@127.0.0.1:5432/bench_large';
const captured: CompiledQuery[] = [];
const db: DB = new Kysely<Database>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  log: (event) => {
    if (event.level === 'query') captured.push(event.query);
  },
});

async function explain(title: string, run: () => Promise<unknown>) {
  captured.length = 0;
  await run();
  for (const query of [...captured]) {
    const plan = await db.executeQuery<{ 'QUERY PLAN': string }>({ ...query, sql: `explain (analyze, buffers, costs off) ${query.sql}` });
    console.log(`\n### ${title}\n\n\`\`\`\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\``);
  }
}

await explain('modelAccess: a random key of the million, its owner and every fact of the call (one statement)', () =>
  findModelCall(
    { db, count: null },
    { secretHash: hashApiKeySecret(benchKeySecret(1 + Math.floor(Math.random() * 1_000_000))) },
    'qwen-max',
  ),
);
await explain('session authentication: the principal with its policies', () => findPrincipalsByIds(db, [`usr_${pad(1, 20)}`]));
await explain('consolePage: a page of 100 members with their principals and keys, as one JSON array', () =>
  listMembers(db, CONSOLE_WORKSPACE, { limit: 100, after: null }, true),
);
await explain("consolePage: the workspace's model authorizations with their models", () =>
  listAuthorizations(db, CONSOLE_WORKSPACE, { limit: 100, after: null }),
);

/** Ends a transaction by rolling it back. */
const ROLLBACK = new Error('rolled back');
const rolledBack = (work: (trx: DB) => Promise<void>) =>
  db
    .transaction()
    .execute(async (trx) => {
      await work(trx);
      throw ROLLBACK;
    })
    .catch((error: unknown) => {
      if (error !== ROLLBACK) throw error;
    });

// The last-use stamp of 1,000 keys just used (src/auth/last-use.ts), as the recorder writes it,
// then again under EXPLAIN with how many new row versions stayed on their page (HOT: no index
// entry), both rolled back.
captured.length = 0;
await rolledBack(async (trx) => {
  const recorder = new LastUseRecorder(trx, createLogger('silent'));
  for (let i = 0; i < 1000; i++) recorder.record('api_key', benchKeyId(1 + Math.floor(Math.random() * 1_000_000)));
  await recorder.flush();
});
const stamp = captured.find((query) => query.sql.includes('set last_used_at'));
if (!stamp) throw new Error('the recorder wrote no stamp');
await rolledBack(async (trx) => {
  const plan = await trx.executeQuery<{ 'QUERY PLAN': string }>({ ...stamp, sql: `explain (analyze, buffers, costs off) ${stamp.sql}` });
  // The backend's counts not yet reported (PostgreSQL 15 includes the first transaction's): a ratio.
  const { rows } = await sql<{ hot: number }>`
    select round(100.0 * pg_stat_get_xact_tuples_hot_updated('api_key'::regclass)
      / greatest(pg_stat_get_xact_tuples_updated('api_key'::regclass), 1))::int as hot`.execute(trx);
  const options = await sql<{
    options: string[] | null;
  }>`select reloptions as options from pg_class where oid = 'api_key'::regclass`.execute(trx);
  // The 1,000 IDs, inlined in the plan, say nothing.
  const lines = plan.rows.map((r) => r['QUERY PLAN'].replace(/'\{[^}]{200,}\}'/g, "'{…}'"));
  console.log(
    `\n### last-use stamps of 1,000 random keys (api_key: ${options.rows[0]?.options?.join(', ') ?? 'fillfactor=100'}): ${rows[0]?.hot}% of the new row versions on their own page (HOT, no index entry)\n\n\`\`\`\n${lines.join('\n')}\n\`\`\``,
  );
});
await db.destroy();
