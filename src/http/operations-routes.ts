import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DatabaseHandle } from '../db/database.js';
import { isMigrated } from '../db/migrate.js';
import type { Metrics } from '../observability/metrics.js';

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * The operators' endpoints: `/healthz` (liveness: the process answers, with the database's
 * state), `/readyz` (readiness: the database answers and every migration is applied) and
 * `/metrics` (Prometheus). Returns false for any other path.
 */
export async function serveOperations(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: { database: Pick<DatabaseHandle, 'ping' | 'db'>; metrics: Metrics },
): Promise<boolean> {
  if (req.method !== 'GET') return false;
  switch (url.pathname) {
    case '/healthz': {
      const up = await deps.database.ping();
      json(res, up ? 200 : 503, { status: up ? 'ok' : 'unavailable', database: up ? 'up' : 'down' });
      return true;
    }
    case '/readyz': {
      const up = await deps.database.ping();
      const migrated = up && (await isMigrated(deps.database.db).catch(() => false));
      json(res, migrated ? 200 : 503, { ready: migrated, database: up ? 'up' : 'down', migrations: migrated ? 'applied' : 'pending or unknown' });
      return true;
    }
    case '/metrics': {
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(await deps.metrics.registry.metrics());
      return true;
    }
    default:
      return false;
  }
}
