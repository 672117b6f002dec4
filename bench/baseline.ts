/**
 * The build before performance round 2 (issue #16's "current commit"), which consolePage is
 * measured against side by side in `npm run bench`. It is built once from git into
 * node_modules/.cache/bench-baseline (a detached worktree with its own `npm ci`, out of the way
 * of tsc, Biome and vitest), and serves its own copy of the small dataset, migrated and seeded
 * by its own code: its migrations end before this build's, so it cannot share a database.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { databaseUrl, startServer, type Server } from './harness.js';

/** The last commit before the round (2026-11-29): consolePage at 66-77 req/s, 14-16 ms of CPU when the issue was written. */
export const BASELINE_COMMIT = '578d9ba86192e61dd5ebd4eccebf6b4deedee702';
const BASELINE_DIR = resolve('node_modules/.cache/bench-baseline');
const BASELINE_DATABASE = 'bench_small_baseline';

function build(): void {
  if (existsSync(join(BASELINE_DIR, 'dist/src/main.js'))) return;
  console.log(`baseline: building ${BASELINE_COMMIT.slice(0, 7)} in ${BASELINE_DIR}`);
  execFileSync('git', ['worktree', 'prune'], { stdio: 'inherit' });
  if (!existsSync(BASELINE_DIR)) execFileSync('git', ['worktree', 'add', '--detach', BASELINE_DIR, BASELINE_COMMIT], { stdio: 'inherit' });
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BASELINE_DIR, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build'], { cwd: BASELINE_DIR, stdio: 'inherit' });
}

/**
 * Builds the baseline if needed, seeds its database with its own seed, and starts it like any
 * benchmarked server. Null, saying why, when it cannot be built (a shallow clone lacks the commit).
 */
export async function startBaseline(port: number): Promise<Server | null> {
  try {
    build();
    // The baseline's own `prepare` (its migrations and seed), under a database name of its own.
    const script = join(BASELINE_DIR, 'bench/seed-for-comparison.ts');
    writeFileSync(
      script,
      `import { DATASETS } from './dataset.js';\nimport { prepare } from './harness.js';\nawait prepare({ ...DATASETS.small, database: '${BASELINE_DATABASE}' });\n`,
    );
    execFileSync('npx', ['tsx', script], { cwd: BASELINE_DIR, stdio: 'inherit' });
  } catch (error) {
    console.log(`baseline: not measured (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    return null;
  }
  return startServer(port, { DATABASE_URL: databaseUrl(BASELINE_DATABASE), REDIS_URL: undefined }, BASELINE_DIR);
}
