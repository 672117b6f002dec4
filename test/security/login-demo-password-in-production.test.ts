import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/test-database.js';
import { TEST_JWT_SECRET } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'demo-production-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The demo's users share a password printed in the README: production must never get them. */
describe.skipIf(testDatabaseKind() !== 'pglite')('seed-demo under NODE_ENV=production', () => {
  it('is refused with a clear message and a non-zero exit, and creates no account', async () => {
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      PASSWORD_HASH_COST: '10',
    };
    const result = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'seed-demo'], { env }).then(
      (done) => ({ ...done, code: 0 }),
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Refusing to seed the demo account under NODE_ENV=production');
    expect(result.stdout).not.toContain('Demo account created');

    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create({ dataDir });
    const accounts = await db.query<{ n: number }>(`select count(*)::int as n from account`);
    await db.close();
    expect(defined(accounts.rows[0], 'the account count').n).toBe(0);
  }, 60_000);
});
