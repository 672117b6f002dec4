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

/**
 * Reads sent to a replica before the request knows the watermark: the watermark read and the
 * request's own reads run side by side instead of one after the other.
 */
export interface SpeculativeReads extends RoutedReads {
  /**
   * Whether the answer may be sent: the replica had replayed past the watermark (read after the
   * request arrived) and the request's token before any of the request's reads started. If not,
   * the answer is discarded and the request runs again, routed by `readerFor`.
   */
  confirmed(): Promise<boolean>;
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
  /**
   * Reads from a replica at once, for a request that only reads, when the replica was last seen
   * past every watermark this gateway has read and past the request's token; null otherwise
   * (no replica, a request that may write, a replica down or behind): `readerFor` routes it.
   * Only for requests that can run twice without effect: a discarded answer changed nothing.
   */
  speculativeReader(request: ReadsOf): SpeculativeReads | null;
  /** After a committed permission write: raises the watermark past it, and answers the writer's token. */
  published(): Promise<string>;
  close(): Promise<void>;
}

/**
 * How long speculative requests gather before one watermark read serves them: about a replica
 * read's round trip under load, so that the check rarely makes a request wait, and one read
 * serves a few requests where each would otherwise start its own.
 */
const GATHER_MILLIS = 2;

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
  /** The latest watermark this gateway has read: a replica seen behind it would fail the check. */
  let latestSeen: Lsn = 0n;
  const seen = (watermark: Lsn) => {
    if (watermark > latestSeen) latestSeen = watermark;
    return watermark;
  };
  // Speculative requests' watermark read starts once GATHER_MILLIS have gathered them: after each
  // of them arrived, so that it covers every write acknowledged before, while their own reads run.
  let gathering: Promise<Lsn> | null = null;
  const gatheredWatermark = () =>
    (gathering ??= new Promise((resolve) => setTimeout(resolve, GATHER_MILLIS)).then(() => {
      gathering = null;
      return watermark.latest();
    }));
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
        required = seen(await watermark.latest());
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
    speculativeReader({ token, mayWrite }) {
      if (replicas.length === 0 || mayWrite || deps.blind) return null;
      const replica = replicas[next % replicas.length] as Replica;
      // A statement that starts after a replay position was read sees at least that position.
      const replayed = replica.knownReplay;
      if (replica.down || replayed < latestSeen || (token !== null && replayed < token)) return null;
      next++;
      const latest = gatheredWatermark();
      const failures = replica.failures;
      const servedBy = (): Reader => (replica.failures !== failures ? 'primary' : 'replica');
      // Counted where it was routed, as `readerFor` counts: a replica that fails meanwhile has
      // the reads run again on the primary, which is fresh (and `servedBy` then says so).
      const fresh = latest.then(
        (required) => {
          const ok = replayed >= seen(required);
          if (ok) metrics.reads.inc({ reader: 'replica', reason: 'fresh' });
          return ok;
        },
        () => false,
      );
      return { db: replica.db, servedBy, confirmed: () => fresh };
    },
    async published() {
      return formatToken(seen(await watermark.publish()));
    },
    /** The replicas belong to the database handle, which closes them. */
    async close() {
      await watermark.close();
    },
  };
}
