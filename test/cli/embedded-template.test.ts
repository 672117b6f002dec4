import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE_START_PARAMS } from '../../src/db/pglite-start.js';
import { buildPgliteTemplate, copyTemplateInto } from '../../src/db/pglite-template.js';
import { testDatabaseKind } from '../helpers/test-database.js';

// The embedded database only: nothing here touches a PostgreSQL server.
describe.runIf(testDatabaseKind() === 'pglite')('the embedded data folder template', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'embedded-template-'));
  const template = join(scratch, 'template');
  beforeAll(() => buildPgliteTemplate(template), 60_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('fills an empty folder, keeping what is in it, and PostgreSQL opens it without recovery, migrated', async () => {
    const dataDir = mkdtempSync(join(scratch, 'data-'));
    writeFileSync(join(dataDir, 'gateway.lock'), 'held');
    expect(await copyTemplateInto(dataDir, template)).toBe(true);
    expect(readFileSync(join(dataDir, 'gateway.lock'), 'utf8')).toBe('held');

    const log: string[] = [];
    const onStderr = (line: string) => {
      log.push(line);
      return true;
    };
    const pglite = await PGlite.create({ dataDir, startParams: PGLITE_START_PARAMS, onStderr });
    try {
      const { rows } = await pglite.query<{ count: number }>('select count(*)::int as count from kysely_migration');
      expect(rows[0]?.count).toBeGreaterThan(0);
      const { rows: buffers } = await pglite.query<{ shared_buffers: string }>('show shared_buffers');
      expect(buffers[0]?.shared_buffers).toBe('32MB');
    } finally {
      await pglite.close();
    }
    // A dump of a running instance would start with "not properly shut down; automatic recovery in progress".
    expect(log.join('\n')).not.toMatch(/recovery|not properly shut down/);
  }, 60_000);

  it('leaves a folder that holds a database alone, and does nothing without a template', async () => {
    const dataDir = mkdtempSync(join(scratch, 'data-'));
    writeFileSync(join(dataDir, 'PG_VERSION'), '17\n');
    expect(await copyTemplateInto(dataDir, template)).toBe(false);
    expect(existsSync(join(dataDir, 'base'))).toBe(false);

    const empty = mkdtempSync(join(scratch, 'data-'));
    expect(await copyTemplateInto(empty, join(scratch, 'no-template'))).toBe(false);
    expect(existsSync(join(empty, 'PG_VERSION'))).toBe(false);
  });
});
