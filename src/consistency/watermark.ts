import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { prepared } from '../db/prepared-statements.js';
import { type Lsn, parseLsn } from './lsn.js';
import { connectRedis } from '../redis-client.js';

export interface ConsistencyWatermarkTable {
  id: number;
  /** pg_lsn, read as text (`16/B374D848`). */
  lsn: string;
}

/**
 * The shared signal of freshness: the primary's WAL position after the latest committed
 * permission write, raised by the gateway that made the write before it answers, read by every
 * gateway before it lets a replica answer.
 */
export interface Watermark {
  /** How far a replica must have replayed to serve a read that may grant access. */
  latest(): Promise<Lsn>;
  /** Raises the watermark past every write committed so far, and answers it (the writer's consistency token). */
  publish(): Promise<Lsn>;
  close(): Promise<void>;
}

/** `pg_current_wal_insert_lsn()`: past the commit record of every transaction that has returned. */
const currentPosition = (primary: DB) =>
  sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(primary).then(({ rows }) => parseLsn(rows[0]?.lsn ?? null));

/** The watermark in the primary's `consistency_watermark` row: one indexed read per request that could use a replica. */
export function databaseWatermark(primary: DB): Watermark {
  const read = prepared(
    'consistency_watermark',
    primary.selectFrom('consistency_watermark').select(sql<string>`lsn::text`.as('lsn')).compile(),
  );
  return {
    async latest() {
      const { rows } = await primary.executeQuery(read);
      return parseLsn(rows[0]?.lsn ?? null);
    },
    async publish() {
      const { rows } = await sql<{ lsn: string }>`
        update consistency_watermark set lsn = greatest(lsn, pg_current_wal_insert_lsn()) where id = 1 returning lsn::text as lsn
      `.execute(primary);
      return parseLsn(rows[0]?.lsn ?? null);
    },
    async close() {},
  };
}

/** Sets the key to ARGV[1] (for ARGV[2] seconds) unless it holds a later position (16 hex digits compare as text); answers the key. */
const RAISE = `local current = redis.call('GET', KEYS[1])
if current and current >= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]`;
/** A deployment gone leaves no key behind for long; one that expires is seeded again from the primary, which is safe. */
const KEY_TTL_SECONDS = 7 * 24 * 3600;
const hex = (lsn: Lsn) => lsn.toString(16).padStart(16, '0');

/**
 * The watermark in Redis (REDIS_URL): a GET per request instead of a read on the primary. The
 * key names the primary's cluster (`pg_control_system()`'s system identifier, which its replicas
 * share), so that deployments sharing a Redis never compare each other's WAL positions. A Redis
 * that lost the key (restarted: it need not keep anything on disk) is seeded with the primary's
 * current position, which is past every write ever committed.
 */
export function redisWatermark(url: string, primary: DB): Watermark {
  const redis = connectRedis(url); // a command that fails: the caller falls back to the primary
  let key: Promise<string> | null = null;
  const keyOf = () => {
    key ??= sql<{ id: string }>`select system_identifier::text as id from pg_control_system()`
      .execute(primary)
      .then(({ rows }) => `gateway:consistency-watermark:${rows[0]?.id}`);
    key.catch(() => (key = null)); // asked again next time
    return key;
  };
  const raise = async (lsn: Lsn) => BigInt(`0x${await redis.eval(RAISE, 1, await keyOf(), hex(lsn), KEY_TTL_SECONDS)}`);
  return {
    async latest() {
      const stored = await redis.get(await keyOf());
      return stored ? BigInt(`0x${stored}`) : raise(await currentPosition(primary));
    },
    async publish() {
      return raise(await currentPosition(primary));
    },
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * Shares watermark reads between concurrent requests without ever answering a request with a
 * read that started before it arrived (that read could miss a write acknowledged meanwhile): a
 * request that finds a read running waits for the next one, which starts when that one ends and
 * serves everyone who arrived in between. Under load, one read per round trip instead of one per request.
 */
export function coalescingReads(watermark: Watermark): Watermark {
  let running: Promise<Lsn> | null = null;
  let queued: Promise<Lsn> | null = null;
  const start = (): Promise<Lsn> => {
    const read = watermark.latest().finally(() => {
      if (running === read) running = null;
    });
    running = read;
    return read;
  };
  return {
    latest() {
      if (!running) return start();
      queued ??= running
        .catch(() => {})
        .then(() => {
          queued = null;
          return start();
        });
      return queued;
    },
    publish: () => watermark.publish(),
    close: () => watermark.close(),
  };
}
