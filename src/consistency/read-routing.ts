import type { DB } from '../db/database.js';
import type { Metrics } from '../observability/metrics.js';
import { type Lsn, formatToken } from './lsn.js';
import type { Replica } from './replicas.js';
import type { Watermark } from './watermark.js';

export type Reader = 'primary' | 'replica';

/** What a request's reads may be served from: a replica unless it may write. */
export interface ReadsOf {
  /** The client's consistency token (`x-consistency-token`): reads at least as fresh as that write. */
  token: Lsn | null;
  mayWrite: boolean;
}

export interface RoutedReads {
  db: DB;
  /**
   * The server that answered the reads: a replica read that failed (the replica went down) ran
   * again on the primary, and the request then says `primary`.
   */
  servedBy(): Reader;
}

/** Why a request reads where it does (the `reason` label of `gateway_database_reads_total`). */
type Reason = 'unchecked' | 'fresh' | 'no_replica' | 'writes' | 'behind' | 'replica_down' | 'watermark_unavailable';

export interface ReadRouting {
  /**
   * The database a request reads from. A request that may write reads from the primary. Any
   * other reads from a replica that has replayed past the watermark (the latest permission
   * write anyone committed) and past the request's own token, or else from the primary: a
   * stale replica can never undo a revocation, token or not.
   */
  readerFor(request: ReadsOf): Promise<RoutedReads>;
  /** After a committed permission write: raises the watermark past it, and answers the writer's token. */
  published(): Promise<string>;
  close(): Promise<void>;
}

export function createReadRouting(deps: {
  primary: DB;
  replicas: readonly Replica[];
  watermark: Watermark;
  metrics: Metrics;
  /** Benchmark only (BENCH_BLIND_REPLICA_READS): reads go to the first replica unchecked, to measure the check. */
  blind?: boolean;
}): ReadRouting {
  const { primary, replicas, watermark, metrics } = deps;
  let next = 0;
  const routed = (db: DB, reader: Reader, reason: Reason, replica?: Replica): RoutedReads => {
    metrics.reads.inc({ reader, reason });
    const failures = replica?.failures;
    return { db, servedBy: () => (replica && replica.failures !== failures ? 'primary' : reader) };
  };
  return {
    async readerFor({ token, mayWrite }) {
      if (replicas.length === 0) return routed(primary, 'primary', 'no_replica');
      if (mayWrite) return routed(primary, 'primary', 'writes');
      if (deps.blind) return routed((replicas[0] as Replica).db, 'replica', 'unchecked', replicas[0]);
      let required: Lsn;
      try {
        required = await watermark.latest();
      } catch {
        return routed(primary, 'primary', 'watermark_unavailable');
      }
      if (token !== null && token > required) required = token;
      // Round robin from the next replica: the first that has replayed far enough serves.
      const start = next++ % replicas.length;
      for (let i = 0; i < replicas.length; i++) {
        const replica = replicas[(start + i) % replicas.length] as Replica;
        if (await replica.hasReplayed(required)) return routed(replica.db, 'replica', 'fresh', replica);
      }
      return routed(primary, 'primary', replicas.every((replica) => replica.down) ? 'replica_down' : 'behind');
    },
    async published() {
      return formatToken(await watermark.publish());
    },
    /** The replicas belong to the database handle, which closes them. */
    async close() {
      await watermark.close();
    },
  };
}
