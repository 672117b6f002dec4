import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { projectRoot } from '../project-root.js';

/** What scripts/build-graphiql.mjs writes to dist/graphiql/manifest.json. */
interface Manifest {
  /** The page's module script, in `assets/`. */
  script: string;
  /** Its stylesheets, in `assets/`. */
  styles: string[];
  /** Every file of `assets/` the page may ask for; `gzip`: an `<name>.gz` twin exists. */
  files: Record<string, { size: number; gzip: boolean }>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

const ASSET_PREFIX = '/graphiql/assets/';

/** Where `npm run build` puts the bundle. */
export const GRAPHIQL_BUNDLE_DIR = join(projectRoot(), 'dist', 'graphiql');

let cached: { path: string; mtimeMs: number; manifest: Manifest } | null = null;

/** The bundle's manifest, re-read when a new build replaced it; null when it is not built. */
function loadManifest(dir: string): Manifest | null {
  const path = join(dir, 'manifest.json');
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return null;
  }
  if (cached?.path !== path || cached.mtimeMs !== mtimeMs) {
    cached = { path, mtimeMs, manifest: JSON.parse(readFileSync(path, 'utf8')) as Manifest };
  }
  return cached.manifest;
}

/**
 * Only the gateway's own files: scripts, stylesheets, workers and `fetch` to `/graphql`; no
 * inline or `eval`ed script. The bundled fonts are `data:` URLs; the `<style>` elements Monaco
 * and Radix create get the nonce (see web/graphiql/csp-nonce.ts). Inline `style` attributes are
 * allowed: Monaco positions each line of its editors with one (written as HTML).
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function page(manifest: Manifest, nonce: string): string {
  const asset = (name: string) => escapeAttribute(ASSET_PREFIX + encodeURIComponent(name));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csp-nonce" content="${nonce}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>GraphiQL · Model Studio gateway</title>
${manifest.styles.map((name) => `<link rel="stylesheet" href="${asset(name)}">`).join('\n')}
<script type="module" src="${asset(manifest.script)}"></script>
</head>
<body>
<div id="graphiql-root"></div>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
`;
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return coding === 'gzip' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/**
 * The GraphiQL IDE, bundled by `npm run build` (scripts/build-graphiql.mjs) into dist/graphiql/:
 * `/graphiql` (the page) and `/graphiql/assets/*` (its content-hashed files). Returns false for
 * any other path. Without a bundle: 404, telling to build it. `dir`: another bundle (tests).
 */
export function serveGraphiQL(req: IncomingMessage, res: ServerResponse, url: URL, dir = GRAPHIQL_BUNDLE_DIR): boolean {
  const path = url.pathname;
  if (path !== '/graphiql' && !path.startsWith('/graphiql/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    text(res, 405, 'Method not allowed\n', { allow: 'GET, HEAD' });
    return true;
  }
  const manifest = loadManifest(dir);
  if (!manifest) {
    text(res, 404, 'GraphiQL is not built: run `npm run build` (it bundles GraphiQL into dist/graphiql/), then reload.\n');
    return true;
  }
  const head = req.method === 'HEAD';

  if (path === '/graphiql' || path === '/graphiql/') {
    const nonce = randomBytes(16).toString('base64');
    const body = page(manifest, nonce);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'content-security-policy': contentSecurityPolicy(nonce),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    res.end(head ? undefined : body);
    return true;
  }

  const name = path.startsWith(ASSET_PREFIX) ? decodeURIComponentSafe(path.slice(ASSET_PREFIX.length)) : null;
  // Only the manifest's names: no path from the URL reaches the file system.
  const file = name !== null && Object.hasOwn(manifest.files, name) ? manifest.files[name] : undefined;
  if (name === null || !file) {
    text(res, 404, 'Not found\n');
    return true;
  }
  const gzip = file.gzip && acceptsGzip(req);
  const filePath = join(dir, 'assets', gzip ? `${name}.gz` : name);
  let size: number;
  try {
    size = statSync(filePath).size;
  } catch {
    text(res, 404, 'Not found (the bundle changed: reload the page)\n');
    return true;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    'content-length': String(size),
    // Content-hashed names: a new build makes new names.
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
    ...(file.gzip ? { vary: 'accept-encoding' } : {}),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  if (head) {
    res.end();
    return true;
  }
  const stream = createReadStream(filePath);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
  return true;
}

function decodeURIComponentSafe(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}
