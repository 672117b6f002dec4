import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for browser front ends on other origins (`CORS_ORIGINS`): the GraphQL endpoint and its
 * printed SDL (`/schema.graphql`, for client tooling) only. The other routes are for proxies
 * (`/authz/model-call`), operators and probes, never for a page.
 */
const CORS_PATHS: ReadonlySet<string> = new Set(['/graphql', '/schema.graphql']);

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/**
 * What a front end sends: its credential, JSON, Apollo Client's client awareness, and the two
 * headers Apollo's csrfPrevention accepts instead of a JSON content type (a GET has none).
 * A browser POST with `content-type: application/json` passes csrfPrevention as it is.
 */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollographql-client-name',
  'apollographql-client-version',
  'apollo-require-preflight',
  'x-apollo-operation-name',
].join(', ');
/** Response headers a page may read beyond the safelisted ones: when to retry (429, 503). */
const EXPOSED_HEADERS = 'retry-after';
const MAX_AGE_SECONDS = '600';

/**
 * One `CORS_ORIGINS` entry: an origin exactly as a browser sends it in `Origin` (`http` or `https`,
 * a host, a port unless it is the scheme's default, no path), normalized (lower case, default port
 * dropped); or why it is refused.
 */
export function parseCorsOrigin(text: string): { origin: string } | { problem: string } {
  if (text === '*') {
    return {
      problem:
        '"*" is refused: list the front ends\' origins (any web page could otherwise make its visitors\' browsers call the API and read the answers)',
    };
  }
  const shape = /^https?:\/\/[^/?#@\s]+$/i;
  let url: URL | null = null;
  try {
    url = shape.test(text) ? new URL(text) : null;
  } catch {
    url = null;
  }
  if (url === null || url.hostname === '') return { problem: `"${text}" is not an origin (scheme://host[:port], no path)` };
  return { origin: url.origin };
}

/**
 * CORS on the paths a browser front end calls. An OPTIONS request is answered here (Apollo would
 * refuse it): a preflight from an allowed origin with 204 and the CORS headers, from any other
 * origin with 403 and none; an OPTIONS without `Origin` (not a preflight) with 204 and `Allow`.
 * Any other request from an allowed origin gets `Access-Control-Allow-Origin` and goes on.
 * Credentials are bearer tokens, never cookies: `Access-Control-Allow-Credentials` is not sent.
 * Returns whether the request has been answered.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, url: URL, allowedOrigins: readonly string[]): boolean {
  if (!CORS_PATHS.has(url.pathname)) return false;
  const origin = req.headers.origin;
  const allowed = origin !== undefined && allowedOrigins.includes(origin);
  // With an allow-list, the answer depends on `Origin`: caches must keep one per origin.
  if (allowedOrigins.length > 0) res.setHeader('vary', 'Origin');
  if (req.method === 'OPTIONS') {
    if (origin === undefined || req.headers['access-control-request-method'] === undefined) {
      res.writeHead(204, { allow: ALLOWED_METHODS });
    } else if (allowed) {
      res.writeHead(204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': ALLOWED_METHODS,
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': MAX_AGE_SECONDS,
      });
    } else {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'This origin may not call the API from a browser (CORS_ORIGINS)' }));
      return true;
    }
    res.end();
    return true;
  }
  if (allowed) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  }
  return false;
}
