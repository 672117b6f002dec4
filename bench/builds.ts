/**
 * Other commits' builds, benchmarked side by side with this one: `npm run bench` measures
 * consolePage against the build before performance round 2 (issue #16's "current commit"), and
 * `npm run bench:compare` any commits against each other. A build is made once from git into
 * node_modules/.cache/bench-builds/<commit> (a detached worktree with its own `npm ci`, out of the
 * way of tsc, Biome and vitest), and serves its own copy of the small dataset, migrated and
 * seeded by its own code: an older build's migrations end before this one's, so it cannot share
 * a database.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { databaseUrl, startServer, type Server } from './harness.js';

/** The last commit before round 2 (2026-11-29): consolePage at 66-77 req/s on 14-16 ms of CPU when issue #16 was written. */
export const BASELINE_COMMIT = '578d9ba86192e61dd5ebd4eccebf6b4deedee702';

const BUILDS_DIR = resolve('node_modules/.cache/bench-builds');
const MIGRATIONS = 'src/db/migrations';

/** The migrations a commit has (`.`: this checkout's), by file name. */
export function migrationsOf(commit: string | '.'): string {
  const listing =
    commit === '.'
      ? execFileSync('git', ['ls-files', MIGRATIONS])
      : execFileSync('git', ['ls-tree', '--name-only', `${commit}:${MIGRATIONS}`]);
  return listing
    .toString()
    .split('\n')
    .map((line) => line.split('/').pop())
    .filter(Boolean)
    .join(' ');
}

/** The full commit ID of a revision (a commit, a tag, `HEAD~2`). */
export const commitOf = (revision: string) =>
  execFileSync('git', ['rev-parse', '--verify', `${revision}^{commit}`])
    .toString()
    .trim();

/** The build of `commit` in its own worktree (its own `npm ci` and `npm run build`), made once. */
export function buildOf(commit: string): string {
  const directory = join(BUILDS_DIR, commit);
  if (existsSync(join(directory, 'dist/src/main.js'))) return directory;
  console.log(`build of ${commit.slice(0, 7)}: in ${directory}`);
  execFileSync('git', ['worktree', 'prune'], { stdio: 'inherit' });
  if (!existsSync(directory)) execFileSync('git', ['worktree', 'add', '--detach', directory, commit], { stdio: 'inherit' });
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: directory, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build'], { cwd: directory, stdio: 'inherit' });
  return directory;
}

/**
 * Builds `commit` if needed, seeds its database with its own seed, and starts it like any
 * benchmarked server (`nodeOptions` instead of the usual ones, when given). Null, saying why,
 * when it cannot be built (a shallow clone lacks the commit). With `sharedDatabase`, the build
 * serves that database as it is (the caller has checked that their migrations are the same).
 */
export async function startBuild(
  commit: string,
  port: number,
  nodeOptions?: readonly string[],
  sharedDatabase?: string,
): Promise<Server | null> {
  const database = sharedDatabase ?? `bench_small_${commit.slice(0, 12)}`;
  let directory: string;
  try {
    directory = buildOf(commit);
    if (sharedDatabase) return startServer(port, { DATABASE_URL: databaseUrl(database), REDIS_URL: undefined }, directory, nodeOptions);
    // The build's own `prepare` (its migrations and seed), under a database name of its own.
    const script = join(directory, 'bench/seed-for-comparison.ts');
    writeFileSync(
      script,
      `import { DATASETS } from './dataset.js';\nimport { prepare } from './harness.js';\nawait prepare({ ...DATASETS.small, database: '${database}' });\n`,
    );
    execFileSync('npx', ['tsx', script], { cwd: directory, stdio: 'inherit' });
  } catch (error) {
    console.log(`build of ${commit.slice(0, 7)}: not measured (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
    return null;
  }
  return startServer(port, { DATABASE_URL: databaseUrl(database), REDIS_URL: undefined }, directory, nodeOptions);
}
