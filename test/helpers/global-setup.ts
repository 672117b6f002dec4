import { randomBytes } from 'node:crypto';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { PGliteDialect } from '../../src/db/pglite-dialect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/** A connection used for raw SQL only (maintenance, migrations): no typed tables. */
type RawSqlDatabase = Kysely<Record<string, never>>;

declare module 'vitest' {
  export interface ProvidedContext {
    /** PGlite: a dump of a migrated data folder. PostgreSQL: the migrated template database's name. */
    databaseTemplate: string;
    postgresUrl: string;
  }
}

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Builds one migrated database per run; each test file then starts from a copy of it. */
export default async function setup(project: TestProject) {
  const kind = project.config.env?.TEST_DATABASE;
  const postgresUrl = process.env.TEST_POSTGRES_URL ?? DEFAULT_POSTGRES_URL;
  project.provide('postgresUrl', postgresUrl);

  if (kind === 'pglite') {
    const pglite = await PGlite.create();
    const db: RawSqlDatabase = new Kysely({ dialect: new PGliteDialect(pglite) });
    await migrateToLatest(db);
    const dump = await pglite.dumpDataDir('none');
    const file = join(tmpdir(), `gateway-template-${process.pid}-${randomBytes(4).toString('hex')}.tar`);
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    await db.destroy();
    project.provide('databaseTemplate', file);
    return () => rmSync(file, { force: true });
  }

  const admin: RawSqlDatabase = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: postgresUrl, max: 1 }) }),
  });
  try {
    await sql`select 1`.execute(admin);
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${postgresUrl} (set TEST_POSTGRES_URL, or start it: see README "Tests"): ${String(error)}`,
    );
  }
  const template = `gateway_template_${process.pid}_${randomBytes(4).toString('hex')}`;
  await sql`create database ${sql.id(template)}`.execute(admin);
  const url = new URL(postgresUrl);
  url.pathname = `/${template}`;
  const templateDb: RawSqlDatabase = new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }),
  });
  await migrateToLatest(templateDb);
  await templateDb.destroy();
  project.provide('databaseTemplate', template);
  return async () => {
    await sql`drop database if exists ${sql.id(template)} with (force)`.execute(admin);
    await admin.destroy();
  };
}
