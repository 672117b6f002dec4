import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseKind } from '../helpers/test-database.js';
import { defined } from '../helpers/assertions.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'cli-test-'));
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PASSWORD_HASH_COST: '10' },
  }).catch((error: { stdout: string; stderr: string; code: number }) => ({ ...error, failed: true as const }));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The CLI on an embedded database in a temporary folder (one project is enough). */
describe.skipIf(testDatabaseKind() !== 'pglite')('the command line', () => {
  it('explains itself', async () => {
    const { stdout } = await cli('--help');
    for (const command of ['migrate', 'seed-demo', 'create-account', 'token', 'explain']) expect(stdout).toContain(command);
    const missing = await cli('explain');
    expect('failed' in missing && missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing --principal, --action, --resource');
  });

  it('seeds the demo once, then explains a decision for one of its users', async () => {
    const first = await cli('seed-demo');
    expect(first.stdout).toContain('Demo account created.');
    expect(first.stdout).toMatch(/sk-[A-Za-z0-9_-]{43}/);
    expect((await cli('seed-demo')).stdout).toContain('exists already');

    // The workspace administrator of "research" may manage its members; the newcomer may not.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create({ dataDir });
    const ids = async (sqlText: string) => defined((await db.query<{ id: string }>(sqlText)).rows[0], `a row of ${sqlText}`).id;
    const research = await ids(`select id from workspace where name = 'research'`);
    const admin = await ids(`select id from principal where name = 'ws-admin'`);
    const newcomer = await ids(`select id from principal where name = 'newcomer'`);
    await db.close();
    const allowed = await cli('explain', '--principal', admin, '--action', 'manage_members', '--resource', research);
    expect(allowed.stdout).toMatch(/^ALLOWED \(DATA layer\)\n {2}allowed as page permission ADMINISTRATOR/);
    const denied = await cli('explain', '--principal', newcomer, '--action', 'manage_members', '--resource', research);
    expect(denied.stdout).toMatch(/^DENIED \(MANAGEMENT layer\)/);
    const token = await cli('token', '--principal', admin);
    expect(token.stdout.trim()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
  }, 120_000);
});
