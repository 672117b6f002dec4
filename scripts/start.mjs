#!/usr/bin/env node
/**
 * `npm start`: builds what changed since the last build, then runs the server in this process
 * (no second Node.js start). `npm ci` / `npm install` run it with `--build-only` (the `prepare`
 * script), so a fresh install leaves a runnable build and the first `npm start` builds nothing.
 *
 * The three steps of `npm run build`, each skipped when the SHA-256 of its inputs matches the one
 * recorded in dist/.build-stamp.json after its last success, and its outputs are there:
 *
 *   tsc       src/**, tsconfig.json, tsconfig.build.json, package-lock.json   → dist/src/  (incremental: dist/tsconfig.build.tsbuildinfo)
 *   template  src/db/**, src/project-root.ts, package-lock.json   → dist/pglite-template/
 *   graphiql  web/graphiql/**, scripts/build-graphiql.mjs, package-lock.json   → dist/graphiql/
 *
 * A failing step stops `npm start` (exit code 1); at install a type error does not (tsc emits all
 * the same, `npm test` reports it), and an install without devDependencies keeps what is built.
 *
 * Usage: node scripts/start.mjs [--build-only]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const stampFile = join(dist, '.build-stamp.json');
const buildOnly = process.argv.includes('--build-only');

/** Every file under the paths (folders recursively), sorted: the same list on every machine. */
function filesUnder(paths) {
  const files = [];
  const walk = (path) => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (error) {
      if (error.code === 'ENOTDIR') return files.push(path);
      if (error.code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) walk(join(path, entry.name));
  };
  for (const path of paths) walk(join(root, path));
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The SHA-256 of the inputs' names and contents. */
function fingerprint(paths) {
  const hash = createHash('sha256');
  for (const file of filesUnder(paths)) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** dist/src/<x>.js for every src/<x>.ts: incremental tsc trusts its build info, not the outputs. */
function compiledOutputsPresent() {
  return filesUnder(['src'])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .every((file) => existsSync(join(dist, relative(root, file)).replace(/\.ts$/, '.js')));
}

function graphiqlPresent() {
  try {
    const manifest = JSON.parse(readFileSync(join(dist, 'graphiql', 'manifest.json'), 'utf8'));
    return existsSync(join(dist, 'graphiql', 'assets', manifest.script));
  } catch {
    return false;
  }
}

/** Runs a build step; false when it failed and `tolerated` (the caller goes on without recording it). */
function run(label, args, tolerated = false) {
  const started = performance.now();
  const { status, signal, error } = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (status !== 0) {
    console.error(`build: ${label} failed (${error?.message ?? signal ?? `exit code ${status}`})`);
    if (tolerated) return false;
    process.exit(1); // not tsc's 2: the server's exit codes 2-8 name settings (README)
  }
  console.error(`build: ${label} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

const require = createRequire(join(root, 'package.json'));
function typescriptCompiler() {
  try {
    return join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    return null;
  }
}

const LOCK = ['package-lock.json'];
const steps = [
  {
    name: 'tsc',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', ...LOCK],
    present: compiledOutputsPresent,
    build() {
      const tsc = typescriptCompiler();
      if (!tsc) return 'unavailable';
      // Outputs gone but build info kept: incremental tsc would think there is nothing to emit.
      if (!compiledOutputsPresent()) rmSync(join(dist, 'tsconfig.build.tsbuildinfo'), { force: true });
      // A type error stops `npm start`; at install it does not (tsc emits all the same, and
      // `npm test` reports it): the step is not recorded, so the next start compiles again.
      return run('tsc -p tsconfig.build.json', [tsc, '-p', 'tsconfig.build.json'], buildOnly) ? 'built' : 'failed';
    },
  },
  {
    name: 'template',
    inputs: ['src/db', 'src/project-root.ts', ...LOCK],
    present: () => existsSync(join(dist, 'pglite-template', 'PG_VERSION')),
    build() {
      run('PGlite template', [join(dist, 'src', 'db', 'pglite-template-cli.js')]);
      return 'built';
    },
  },
  {
    name: 'graphiql',
    inputs: ['web/graphiql', 'scripts/build-graphiql.mjs', ...LOCK],
    present: graphiqlPresent,
    build() {
      if (!typescriptCompiler()) return 'unavailable'; // no devDependencies: no esbuild either
      run('GraphiQL bundle', [join(root, 'scripts', 'build-graphiql.mjs')]);
      return 'built';
    },
  },
];

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return {};
  }
}

let stamp = readStamp();
for (const step of steps) {
  const hash = fingerprint(step.inputs);
  if (stamp[step.name] === hash && step.present()) continue;
  const outcome = step.build();
  if (outcome === 'failed') continue;
  if (outcome === 'unavailable') {
    // An install without devDependencies (npm ci --omit=dev) is not stopped: `npm start` says it.
    console.error(`build: ${step.name} is out of date, and the devDependencies that build it are not installed (npm ci installs them)`);
    if (buildOnly) continue;
    process.exit(1);
  }
  stamp = { ...readStamp(), [step.name]: hash };
  writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
}

if (!buildOnly) {
  // Tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) patches node:http, graphql and pg as they load: before the gateway.
  await import(pathToFileURL(join(dist, 'src', 'observability', 'register-tracing.js')).href);
  await import(pathToFileURL(join(dist, 'src', 'main.js')).href);
}
