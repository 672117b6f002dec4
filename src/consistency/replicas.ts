import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from '../db/database.js';
import { enablePreparedStatements, preparedStatementOptions } from '../db/prepared-statements.js';
import type { Database } from '../db/schema.js';
import { type Lsn, parseLsn } from './lsn.js';

/** How long a replica that failed is left alone before it is asked again. */
const DOWN_FOR_MILLIS = 2_000;

/**
 * A streaming replica of the primary: its reads, and how far it has replayed the primary's WAL.
 * The position is a lower bound, refreshed only when a read needs more (one query at a time,
 * shared by every request that waits for it): a replica never looks fresher than it is.
 */
export class Replica {
  readonly db: DB;
  /** -1 until asked: even a watermark of 0 needs the server to have answered that it is a standby. */
  private replayed: Lsn = -1n;
  private downUntil = 0;
  /** How many times it failed: a request that saw this change had reads retried on the primary. */
  failures = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly pool: pg.Pool,
    primaryPool: pg.Pool,
  ) {
    const failed = () => this.markDown();
    pool.on('connect', (client) => retryingOnPrimary(client, primaryPool, failed));
    this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: fallingBackTo(primaryPool, pool, failed) }) });
  }

  /** True when the replica is up and has replayed at least `position`. */
  async hasReplayed(position: Lsn): Promise<boolean> {
    if (Date.now() < this.downUntil) return false;
    if (this.replayed >= position) return true;
    // refresh() never rejects: a failure marks the replica down.
    this.refreshing ??= this.refresh().then(() => {
      this.refreshing = null;
    });
    await this.refreshing;
    return this.replayed >= position;
  }

  /** The replay position last read from the replica (a lower bound of where it is); -1 until asked. */
  get knownReplay(): Lsn {
    return this.replayed;
  }

  get down(): boolean {
    return Date.now() < this.downUntil;
  }

  /** Asks the replica itself (never the primary it falls back to); a server that is no standby (promoted, misconfigured) serves nothing. */
  async refresh(): Promise<'standby' | 'not standby' | 'down'> {
    try {
      const { rows } = await this.pool.query<{ standby: boolean; lsn: string | null }>(
        'select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as lsn',
      );
      if (rows[0]?.standby !== true) {
        this.markDown();
        return 'not standby';
      }
      const position = parseLsn(rows[0].lsn);
      if (position > this.replayed) this.replayed = position;
      return 'standby';
    } catch {
      this.markDown();
      return 'down';
    }
  }

  private markDown() {
    this.failures++;
    this.downUntil = Date.now() + DOWN_FOR_MILLIS;
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}

/**
 * A replica's pool that hands out a primary connection when the replica cannot give one (down,
 * restarting): a read already routed to it is served all the same, by the freshest server.
 */
function fallingBackTo(primary: pg.Pool, replica: pg.Pool, failed: () => void) {
  return {
    async connect() {
      try {
        return await replica.connect();
      } catch {
        failed();
        return primary.connect();
      }
    },
    end: () => replica.end(),
  };
}

/** SQLSTATEs and socket errors of a server gone (shut down, crashed, unreachable), not of a bad statement. */
const LOST_SERVER = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);
const lostServer = (error: unknown) =>
  error instanceof Error &&
  (LOST_SERVER.has((error as { code?: string }).code ?? '') || /Connection terminated|not queryable/.test(error.message));

/**
 * A read that fails on a replica connection because the replica went away (a pooled connection
 * it closed) runs again on the primary: replica connections never hold a transaction (writes and
 * every read of a mutation go to the primary), so a statement may be repeated elsewhere.
 */
function retryingOnPrimary(client: pg.PoolClient, primary: pg.Pool, failed: () => void) {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  client.query = (async (...args: unknown[]) => {
    try {
      return await query(...args);
    } catch (error) {
      if (typeof args[0] !== 'string' || !lostServer(error)) throw error;
      failed();
      return (primary.query as (...a: unknown[]) => Promise<unknown>)(...args);
    }
  }) as typeof client.query;
}

export function openReplicas(urls: readonly string[], primaryPool: pg.Pool, poolSize: number): Replica[] {
  return urls.map((url, index) => {
    const pool = new pg.Pool({
      connectionString: url,
      options: preparedStatementOptions(url),
      max: poolSize,
      connectionTimeoutMillis: 2_000,
    });
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    enablePreparedStatements(pool);
    return new Replica(`replica-${index + 1}`, pool, primaryPool);
  });
}
