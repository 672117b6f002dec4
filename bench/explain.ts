/**
 * `npm run bench:explain`: EXPLAIN (ANALYZE, BUFFERS) of the hot queries on the large benchmark dataset,
 * captured from the repository functions themselves (Kysely's query log), not retyped.
 */
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { hashApiKeySecret } from '../src/auth/credential-secrets.js';
import type { DB } from '../src/db/database.js';
import type { Database } from '../src/db/schema.js';
import { findPrincipalsByIds } from '../src/identity/identity.repository.js';
import { findModelCall, listAuthorizations } from '../src/models/models.repository.js';
import { listMembers } from '../src/workspaces/workspaces.repository.js';
import { CONSOLE_WORKSPACE, benchKeySecret, pad } from './dataset.js';

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
await db.destroy();
