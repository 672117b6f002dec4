import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type KyselyPlugin } from 'kysely';
import pg from 'pg';
import { openReplicas, type Replica } from '../consistency/replicas.js';
import { acquireDataDirLock, type DataDirLock, type LockHolder } from './embedded-lock.js';
import { PGliteDialect } from './pglite-dialect.js';
import { enablePreparedStatements, preparedStatementOptions } from './prepared-statements.js';
import { copyTemplateInto } from './pglite-template.js';
import { PGLITE_START_PARAMS } from './pglite-start.js';
import type { Database } from './schema.js';

export type DB = Kysely<Database>;

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number; replicaUrls?: readonly string[] }
  /** `holder`: who takes the data folder's lock (src/db/embedded-lock.ts); a command unless said. */
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob; holder?: LockHolder['role'] };

export interface DatabaseHandle {
  db: DB;
  kind: DatabaseTarget['kind'];
  /** Streaming replicas of a PostgreSQL primary (DATABASE_REPLICA_URLS): reads that are fresh enough (src/consistency/). */
  replicas: readonly Replica[];
  /** Answers whether the database accepts a query right now. */
  ping(): Promise<boolean>;
  /** The PostgreSQL pool's connections (null on the embedded database). */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  /** The embedded database's data folder lock, held until close() (a PGlite data folder only). */
  dataDirLock?: DataDirLock;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget, plugins: KyselyPlugin[] = []): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      options: preparedStatementOptions(target.url),
      max: target.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
    });
    // A client losing its server must not crash the process. An idle one is reported on the pool;
    // a checked-out one (a query or a transaction in flight) emits 'error' on itself: its queries
    // fail on their own, and the pool drops it when it is released.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    enablePreparedStatements(pool);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
    const replicas = openReplicas(target.replicaUrls ?? [], pool, target.poolSize ?? 10);
    return {
      db,
      kind: 'postgres',
      replicas,
      ping: () => ping(db),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: async () => {
        await Promise.all(replicas.map((replica) => replica.close()));
        await db.destroy();
      },
    };
  }
  // One process per data folder: throws DataDirInUseError, naming the holder (it creates the folder).
  const lock = target.dataDir ? acquireDataDirLock(target.dataDir, target.holder ?? 'command') : undefined;
  let pglite: PGlite;
  try {
    if (target.dataDir && !target.loadDataDir) await copyTemplateInto(target.dataDir);
    pglite = await PGlite.create({
      startParams: PGLITE_START_PARAMS,
      ...(target.dataDir ? { dataDir: target.dataDir } : {}),
      ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), plugins });
  const close = async () => {
    try {
      await db.destroy();
    } finally {
      lock?.release();
    }
  };
  return { db, kind: 'pglite', replicas: [], ping: () => ping(db), poolStats: () => null, ...(lock ? { dataDirLock: lock } : {}), close };
}

async function ping(db: DB): Promise<boolean> {
  try {
    await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
    return true;
  } catch {
    return false;
  }
}
