#!/usr/bin/env node
/**
 * Bundles the GraphiQL page (web/graphiql/) into dist/graphiql/ with esbuild: nothing is loaded
 * from a CDN at run time. Output:
 *
 *   dist/graphiql/assets/   content-hashed JS, CSS, Monaco's web workers (and .gz twins)
 *   dist/graphiql/manifest.json   what src/graphiql/serve-graphiql.ts serves: the page's script
 *                                 and styles, and every asset it may ask for
 *
 * Usage: node scripts/build-graphiql.mjs   (part of `npm run build`)
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outdir = join(root, 'dist', 'graphiql');
const assetsDir = join(outdir, 'assets');
const require = createRequire(join(root, 'package.json'));
const started = performance.now();

/** Monaco runs its language services in web workers: one bundle each, started by the page. */
const workers = {
  editor: require.resolve('monaco-editor/esm/vs/editor/editor.worker.js'),
  json: require.resolve('monaco-editor/esm/vs/language/json/json.worker.js'),
  graphql: require.resolve('monaco-graphql/esm/graphql.worker.js'),
};

const common = {
  bundle: true,
  minify: true,
  legalComments: 'linked',
  target: ['chrome120', 'firefox120', 'safari17'],
  define: { 'process.env.NODE_ENV': '"production"' },
  outdir: assetsDir,
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(assetsDir, { recursive: true });

// Classic (IIFE) workers: `new Worker(url)` works in every browser without `type: 'module'`.
const workerBuild = await build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(workers).map(([label, path]) => [`${label}.worker`, path])),
  entryNames: '[name]-[hash]',
  format: 'iife',
});
const workerUrls = {};
for (const [file, output] of Object.entries(workerBuild.metafile.outputs)) {
  if (!output.entryPoint) continue;
  const label = Object.keys(workers).find((key) => basename(file).startsWith(`${key}.worker-`));
  if (label) workerUrls[label] = `/graphiql/assets/${basename(file)}`;
}
for (const label of Object.keys(workers)) {
  if (!workerUrls[label]) throw new Error(`build-graphiql: no output for the ${label} worker`);
}

/**
 * graphiql/style.css already holds Monaco's whole stylesheet (same version): the stylesheets
 * Monaco's modules import one by one would only duplicate it (and make a CSS file per lazy chunk).
 */
const monacoCssFromGraphiQL = {
  name: 'monaco-css-from-graphiql',
  setup(build) {
    build.onResolve({ filter: /\.css$/ }, (args) =>
      /[\\/]node_modules[\\/]monaco-editor[\\/]/.test(args.importer) ? { path: args.path, namespace: 'monaco-css' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'monaco-css' }, () => ({ contents: '', loader: 'css' }));
  },
};

// The page: ESM with code splitting (GraphiQL loads Monaco with a dynamic import).
const pageBuild = await build({
  ...common,
  entryPoints: { graphiql: join(root, 'web', 'graphiql', 'graphiql-page.tsx') },
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  format: 'esm',
  splitting: true,
  jsx: 'automatic',
  tsconfig: join(root, 'web', 'graphiql', 'tsconfig.json'),
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.svg': 'file', '.png': 'file' },
  define: { ...common.define, __GRAPHIQL_WORKERS__: JSON.stringify(workerUrls) },
  plugins: [monacoCssFromGraphiQL],
});

const pageEntry = Object.entries(pageBuild.metafile.outputs).find(([, output]) => output.entryPoint === 'web/graphiql/graphiql-page.tsx');
if (!pageEntry) throw new Error('build-graphiql: no output for the page script');
const script = basename(pageEntry[0]);
const styles = pageEntry[1].cssBundle ? [basename(pageEntry[1].cssBundle)] : [];

// Every file written, with a gzip twin for the compressible ones that it makes smaller.
const files = {};
let bytes = 0;
let gzipBytes = 0;
for (const file of [...Object.keys(workerBuild.metafile.outputs), ...Object.keys(pageBuild.metafile.outputs)]) {
  const path = join(root, file);
  const name = relative(assetsDir, path);
  if (name.includes('/') || name.startsWith('..')) throw new Error(`build-graphiql: unexpected output ${file}`);
  const size = statSync(path).size;
  if (size === 0) {
    rmSync(path); // an empty stylesheet for a lazy chunk: nothing asks for it
    continue;
  }
  bytes += size;
  let gzip = false;
  if (/\.(js|css|txt|svg)$/.test(name) && size > 1024) {
    const compressed = gzipSync(readFileSync(path), { level: 9 });
    if (compressed.length < size * 0.9) {
      writeFileSync(`${path}.gz`, compressed);
      gzip = true;
      gzipBytes += compressed.length;
    }
  }
  files[name] = { size, gzip };
}

writeFileSync(join(outdir, 'manifest.json'), `${JSON.stringify({ script, styles, files }, null, 2)}\n`);
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(
  `GraphiQL bundled into ${relative(process.cwd(), outdir) || '.'}: ${Object.keys(files).length} files, ${mb(bytes)} (${mb(gzipBytes)} gzipped) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
