import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compared as digests: equal lengths for timingSafeEqual, and no timing hint at the token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

/** `GET /metrics` (Prometheus), behind a bearer token when one is configured. False for anything else. */
export async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: { metrics: Metrics; token: string | null },
): Promise<boolean> {
  if (req.method !== 'GET' || url.pathname !== '/metrics') return false;
  if (deps.token !== null && !bearerMatches(req.headers.authorization, deps.token)) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"', 'cache-control': 'no-store' });
    res.end('Unauthorized\n');
    return true;
  }
  res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(await deps.metrics.registry.metrics());
  return true;
}

/** A listener of its own for `/metrics` (METRICS_PORT / METRICS_HOST), away from the public port. */
export function createMetricsServer(deps: { metrics: Metrics; token: string | null }, logger: Logger): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://metrics.invalid');
    serveMetrics(req, res, url, deps)
      .then((served) => {
        if (served) return;
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found: metrics are at /metrics\n');
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'metrics request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
}
