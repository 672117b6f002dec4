import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

import { asRoot, command, freePort, postgresUid, run } from './private-postgres.js';

function chownToPostgres(path: string) {
  if (!asRoot) return;
  const { uid, gid } = postgresUid();
  chownSync(path, uid, gid);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ClusterServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** The data folder. */
  dir: string;
  /** The server's log file (outside the data folder, so that the base backup does not copy the primary's). */
  logFile: string;
  /** Runs one statement on a connection of its own (closed after), as the superuser. */
  sql<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
}

export interface ReplicationCluster {
  primary: ClusterServer;
  /** A hot standby streaming from `primary` (physical replication: the same rows, later). */
  replica: ClusterServer;
  /** Stops applying WAL on the replica (it still receives it): from now on it falls behind every write. Waits until the pause holds. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  replayPaused(): Promise<boolean>;
  /** The primary's current WAL position (`pg_current_wal_lsn()`), as text such as `0/3000148`. */
  primaryLsn(): Promise<string>;
  /** Resolves once the replica has replayed the WAL up to `lsn`; throws after `timeoutMs`. */
  waitForReplayOf(lsn: string, timeoutMs?: number): Promise<void>;
  /** Resolves once the replica has replayed everything the primary had written when called. */
  waitUntilCaughtUp(timeoutMs?: number): Promise<void>;
  /** Stops the replica: `fast` disconnects its sessions cleanly, `immediate` is a crash. */
  stopReplica(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the replica again (it reconnects to the primary and replays what it missed). */
  startReplica(): Promise<void>;
  /** Stops both servers whatever their state and removes their folders. Safe to call twice. */
  destroy(): Promise<void>;
}

async function query<Row>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  // A server stopped under the connection must not become an uncaught 'error' event.
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A PostgreSQL primary and a streaming replica of it, of the test's own, in one temporary folder:
 * the test may pause the replica's replay (to make it stale on purpose), crash it and restart it.
 * The caller must `destroy()` it (in `afterAll`/`finally`); a process exit also stops it, as a last
 * resort.
 */
export async function startReplicationCluster(): Promise<ReplicationCluster> {
  const root = mkdtempSync(join(tmpdir(), 'gw-replication-'));
  chownToPostgres(root);
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const server = (name: 'primary' | 'replica', port: number): ClusterServer => {
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      dir: join(root, name),
      logFile: join(root, `${name}.log`),
      sql: (text, params) => query(url, text, params),
    };
  };
  const primary = server('primary', primaryPort);
  const replica = server('replica', replicaPort);

  // The test's data is disposable: no fsync on either server (creation and writes stay fast).
  const start = (node: ClusterServer) =>
    run('pg_ctl', [
      '-D',
      node.dir,
      '-l',
      node.logFile,
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${node.port} -k ${node.dir} -c fsync=off`,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  const stop = (node: ClusterServer, mode: 'fast' | 'immediate') => run('pg_ctl', ['-D', node.dir, '-m', mode, '-w', '-t', '60', 'stop']);

  let destroyed = false;
  /** Synchronous, for `process.on('exit')`: no server may outlive the test run. */
  const destroySync = () => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener('exit', destroySync);
    try {
      // The replica first: stopped before its primary, it does not log reconnection attempts.
      for (const node of [replica, primary]) {
        const pidFile = join(node.dir, 'postmaster.pid');
        if (!existsSync(pidFile)) continue;
        const [file, argv] = command('pg_ctl', ['-D', node.dir, '-m', 'immediate', '-w', '-t', '30', 'stop']);
        try {
          execFileSync(file, argv, { stdio: 'ignore', timeout: 40_000 });
        } catch {
          try {
            process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  process.on('exit', destroySync);

  try {
    // initdb's pg_hba.conf with --auth=trust has `host replication all 127.0.0.1/32 trust`, and
    // the defaults (wal_level=replica, max_wal_senders=10) allow a streaming replica.
    await run('initdb', ['-D', primary.dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await start(primary);
    // -R: standby.signal and primary_conninfo, so the copy starts as a streaming hot standby.
    await run('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      replica.dir,
      '-R',
      '-X',
      'stream',
      '--checkpoint=fast',
      '--no-sync',
    ]);
    await start(replica);
  } catch (error) {
    destroySync();
    throw error;
  }

  const primaryLsn = async () => {
    const [row] = await primary.sql<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
    if (!row) throw new Error('pg_current_wal_lsn() returned no row');
    return row.lsn;
  };
  const pauseState = async () => {
    const [row] = await replica.sql<{ state: string }>('select pg_get_wal_replay_pause_state() as state');
    return row?.state;
  };

  const waitForReplayOf = async (lsn: string, timeoutMs = 15_000) => {
    const started = Date.now();
    for (;;) {
      const [row] = await replica.sql<{ behind: string | null }>(
        'select pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::text as behind',
        [lsn],
      );
      if (row?.behind != null && Number(row.behind) <= 0) return;
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `the replica did not replay up to ${lsn} within ${timeoutMs} ms: ${row?.behind ?? '?'} bytes behind, replay ${await pauseState()}`,
        );
      }
      await sleep(20);
    }
  };

  return {
    primary,
    replica,
    async pauseReplay() {
      await replica.sql('select pg_wal_replay_pause()');
      // 'pause requested' already stops the next record from being applied; 'paused' is the startup process saying so.
      const started = Date.now();
      while ((await pauseState()) !== 'paused') {
        if (Date.now() - started > 10_000) throw new Error(`the replica's replay did not pause: ${await pauseState()}`);
        await sleep(10);
      }
    },
    async resumeReplay() {
      await replica.sql('select pg_wal_replay_resume()');
    },
    async replayPaused() {
      return (await pauseState()) === 'paused';
    },
    primaryLsn,
    waitForReplayOf,
    async waitUntilCaughtUp(timeoutMs) {
      await waitForReplayOf(await primaryLsn(), timeoutMs);
    },
    async stopReplica(mode = 'fast') {
      await stop(replica, mode);
    },
    async startReplica() {
      await start(replica);
    },
    async destroy() {
      destroySync();
    },
  };
}
