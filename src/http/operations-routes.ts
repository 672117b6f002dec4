import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DatabaseHandle } from '../db/database.js';
import { isMigrated } from '../db/migrate.js';

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * The operators' endpoints: `/healthz` (liveness: the process answers, with the database's
 * state) and `/readyz` (readiness: the database answers and every migration is applied, and the
 * process is not draining before its shutdown: a load balancer sends it nothing new).
 * Returns false for any other path (`/metrics` is src/http/metrics-route.ts).
 */
export async function serveOperations(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: { database: Pick<DatabaseHandle, 'ping' | 'db'>; draining?: () => boolean },
): Promise<boolean> {
  if (req.method !== 'GET') return false;
  switch (url.pathname) {
    case '/healthz': {
      const up = await deps.database.ping();
      json(res, up ? 200 : 503, { status: up ? 'ok' : 'unavailable', database: up ? 'up' : 'down' });
      return true;
    }
    case '/readyz': {
      if (deps.draining?.()) {
        json(res, 503, { ready: false, draining: true });
        return true;
      }
      const up = await deps.database.ping();
      const migrated = up && (await isMigrated(deps.database.db).catch(() => false));
      json(res, migrated ? 200 : 503, {
        ready: migrated,
        database: up ? 'up' : 'down',
        migrations: migrated ? 'applied' : 'pending or unknown',
      });
      return true;
    }
    default:
      return false;
  }
}
