import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

/**
 * A Redis client whose commands fail on their own while it is disconnected (no offline queue, one
 * retry), and whose connection errors do not crash the process: each caller falls back or reports.
 * ioredis is loaded on first use, so a gateway without REDIS_URL never loads it (it would
 * lengthen every start).
 */
export function connectRedis(url: string): Redis {
  const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const redis = new Client(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  return redis;
}
