import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/database.js';
import { executePrepared } from '../../src/db/prepared-statements.js';
import { openTestDatabase, testDatabaseKind } from '../helpers/test-database.js';

// The gateway's named statements live as long as its connections, across migrations that other
// gateways apply (src/db/prepared-statements.ts).
describe.skipIf(testDatabaseKind() !== 'postgres')('prepared statements under a schema that changes', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('run with generic plans, and keep working once a column under them changes type', async () => {
    const { db } = database;
    await sql`create table prepared_probe (id int primary key, label int)`.execute(db);
    await sql`insert into prepared_probe values (1, 10)`.execute(db);
    // The pool has more than one connection: a statement is prepared on each that runs it.
    const readAll = () =>
      Promise.all(
        Array.from({ length: 4 }, () =>
          executePrepared(db, 'probe', db.selectFrom(sql`prepared_probe`.as('p')).select(sql<string>`label`.as('label'))),
        ),
      );
    expect((await readAll()).flat()).toEqual(Array.from({ length: 4 }, () => ({ label: 10 })));
    const [mode] = await executePrepared(db, 'plan_mode', db.selectNoFrom(sql<string>`current_setting('plan_cache_mode')`.as('mode')));
    expect(mode).toEqual({ mode: 'force_generic_plan' });
    // No JIT: a batch of key lookups can be estimated past jit_above_cost (src/db/prepared-statements.ts).
    const [jit] = await executePrepared(db, 'jit', db.selectNoFrom(sql<string>`current_setting('jit')`.as('jit')));
    expect(jit).toEqual({ jit: 'off' });

    await sql`alter table prepared_probe alter column label type text`.execute(db);
    // PostgreSQL refuses the old plan (its result changed shape) on each connection that holds
    // it; the statement is renamed after the first refusal, so the later reads prepare afresh.
    const settled = await Promise.allSettled([readAll()]);
    const refusal = settled[0]?.status === 'rejected' ? (settled[0].reason as { code?: string }).code : null;
    expect(refusal === null || refusal === '0A000').toBe(true);
    expect((await readAll()).flat()).toEqual(Array.from({ length: 4 }, () => ({ label: '10' })));
  });
});
