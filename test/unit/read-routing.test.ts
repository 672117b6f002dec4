import { describe, expect, it } from 'vitest';
import { formatToken, parseLsn, parseToken } from '../../src/consistency/lsn.js';
import { createReadRouting } from '../../src/consistency/read-routing.js';
import type { Replica } from '../../src/consistency/replicas.js';
import { coalescingReads, type Watermark } from '../../src/consistency/watermark.js';
import type { DB } from '../../src/db/database.js';
import { createMetrics } from '../../src/observability/metrics.js';

/** Stand-ins: the routing only compares positions; which object it answers tells where a request reads. */
const primary = { name: 'primary' } as unknown as DB;

function replicaAt(name: string, replayed: bigint, down = false) {
  const replica = { db: { name } as unknown as DB, replayed, down, asked: 0, failures: 0 };
  return Object.defineProperty(
    Object.assign(replica, {
      async hasReplayed(position: bigint) {
        replica.asked++;
        return !replica.down && replica.replayed >= position;
      },
    }),
    'knownReplay',
    { get: () => replica.replayed },
  ) as typeof replica & { hasReplayed(position: bigint): Promise<boolean>; readonly knownReplay: bigint };
}

function watermarkAt(position: bigint | Error): Watermark & { published: number } {
  const watermark = {
    published: 0,
    latest: async () => {
      if (position instanceof Error) throw position;
      return position;
    },
    publish: async () => {
      watermark.published++;
      return 0x1_0000_00a0n;
    },
    close: async () => {},
  };
  return watermark;
}

const routingOver = (replicas: ReturnType<typeof replicaAt>[], watermark: Watermark, metrics = createMetrics(() => null)) =>
  createReadRouting({ primary, replicas: replicas as unknown as Replica[], watermark, metrics });

const name = (db: DB) => (db as unknown as { name: string }).name;

describe('WAL positions and consistency tokens', () => {
  it('reads PostgreSQL pg_lsn text, and tokens round-trip', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16_b374d848n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn(null)).toBe(0n);
    expect(() => parseLsn('nonsense')).toThrow();
    const token = formatToken(0x16_b374d848n);
    expect(token).toBe('1.00000016b374d848');
    expect(parseToken(token)).toBe(0x16_b374d848n);
  });

  it.each(['', '2.00000016b374d848', '1.16/B374D848', '1.00000016b374d84', '1.00000016B374D848', '1.zz000016b374d848'])(
    'refuses %j as a token',
    (text) => expect(parseToken(text)).toBeNull(),
  );
});

describe('read routing', () => {
  it('reads from the primary when no replica is configured, without asking the watermark', async () => {
    const watermark = watermarkAt(new Error('not asked'));
    const { servedBy, db } = await routingOver([], watermark).readerFor({ token: null, mayWrite: false });
    expect([servedBy(), name(db)]).toEqual(['primary', 'primary']);
  });

  it('sends a request that may write to the primary', async () => {
    const replica = replicaAt('r1', 100n);
    const { servedBy } = await routingOver([replica], watermarkAt(10n)).readerFor({ token: null, mayWrite: true });
    expect(servedBy()).toBe('primary');
    expect(replica.asked).toBe(0);
  });

  it('reads from a replica past the watermark, and from the primary when it is behind', async () => {
    const replica = replicaAt('r1', 100n);
    expect((await routingOver([replica], watermarkAt(100n)).readerFor({ token: null, mayWrite: false })).servedBy()).toBe('replica');
    expect((await routingOver([replica], watermarkAt(101n)).readerFor({ token: null, mayWrite: false })).servedBy()).toBe('primary');
  });

  it('honours a token later than the watermark', async () => {
    const replica = replicaAt('r1', 100n);
    const routing = routingOver([replica], watermarkAt(50n));
    expect((await routing.readerFor({ token: 100n, mayWrite: false })).servedBy()).toBe('replica');
    expect((await routing.readerFor({ token: 150n, mayWrite: false })).servedBy()).toBe('primary');
  });

  it('takes the first fresh replica in turn, skipping those behind or down', async () => {
    const behind = replicaAt('behind', 10n);
    const down = replicaAt('down', 1000n, true);
    const fresh = replicaAt('fresh', 1000n);
    const routing = routingOver([behind, down, fresh], watermarkAt(500n));
    for (let i = 0; i < 3; i++) expect(name((await routing.readerFor({ token: null, mayWrite: false })).db)).toBe('fresh');
    const spread = [replicaAt('a', 9n), replicaAt('b', 9n)];
    const both = routingOver(spread, watermarkAt(1n));
    const names = [];
    for (let i = 0; i < 4; i++) names.push(name((await both.readerFor({ token: null, mayWrite: false })).db));
    expect(names).toEqual(['a', 'b', 'a', 'b']);
  });

  it('falls back to the primary when the watermark cannot be read: freshness unknown is stale', async () => {
    const replica = replicaAt('r1', 1000n);
    const { servedBy } = await routingOver([replica], watermarkAt(new Error('redis down'))).readerFor({ token: null, mayWrite: false });
    expect(servedBy()).toBe('primary');
  });

  it('says primary when the replica failed during the request (its reads ran again on the primary)', async () => {
    const replica = replicaAt('r1', 100n);
    const routed = await routingOver([replica], watermarkAt(1n)).readerFor({ token: null, mayWrite: false });
    expect(routed.servedBy()).toBe('replica');
    replica.failures++;
    expect(routed.servedBy()).toBe('primary');
  });

  it('publishes the watermark and answers it as a token', async () => {
    const watermark = watermarkAt(0n);
    expect(await routingOver([], watermark).published()).toBe('1.00000001000000a0');
    expect(watermark.published).toBe(1);
  });
});

/** A watermark whose reads the test ends by hand, recording when each started. */
function manualWatermark() {
  const reads: Array<{ resolve: (lsn: bigint) => void; reject: (error: Error) => void }> = [];
  const watermark: Watermark = {
    latest: () => new Promise<bigint>((resolve, reject) => reads.push({ resolve, reject })),
    publish: async () => 0n,
    close: async () => {},
  };
  return { watermark, reads };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
/** Until `count` reads of the manual watermark have started (speculative requests gather a few milliseconds first). */
async function started(reads: unknown[], count: number) {
  while (reads.length < count) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** `gateway_database_reads_total`, by `reader/reason`. */
async function readsCounted(metrics: ReturnType<typeof createMetrics>) {
  const { values } = await metrics.reads.get();
  return Object.fromEntries(values.map((v) => [`${v.labels.reader}/${v.labels.reason}`, v.value]));
}

describe('speculative replica reads: the watermark read beside the request’s own reads', () => {
  const QUERY = { token: null, mayWrite: false } as const;

  it('is not offered without a replica, for a request that may write, or for blind reads', () => {
    expect(routingOver([], watermarkAt(1n)).speculativeReader(QUERY)).toBeNull();
    expect(routingOver([replicaAt('r1', 100n)], watermarkAt(1n)).speculativeReader({ token: null, mayWrite: true })).toBeNull();
    const blind = createReadRouting({
      primary,
      replicas: [replicaAt('r1', 100n)] as unknown as Replica[],
      watermark: watermarkAt(1n),
      metrics: createMetrics(() => null),
      blind: true,
    });
    expect(blind.speculativeReader(QUERY)).toBeNull();
  });

  it('is not offered for a replica never asked, down, or short of the request’s token', () => {
    expect(routingOver([replicaAt('r1', -1n)], watermarkAt(0n)).speculativeReader(QUERY)).toBeNull();
    expect(routingOver([replicaAt('r1', 100n, true)], watermarkAt(0n)).speculativeReader(QUERY)).toBeNull();
    const routing = routingOver([replicaAt('r1', 100n)], watermarkAt(0n));
    expect(routing.speculativeReader({ token: 101n, mayWrite: false })).toBeNull();
    expect(routing.speculativeReader({ token: 100n, mayWrite: false })).not.toBeNull();
  });

  it('keeps the answer when the replica’s position known before the reads is past the watermark read after the request came', async () => {
    const metrics = createMetrics(() => null);
    const replica = replicaAt('r1', 100n);
    const speculative = routingOver([replica], watermarkAt(100n), metrics).speculativeReader(QUERY);
    expect(speculative && name(speculative.db)).toBe('r1');
    expect(await speculative?.confirmed()).toBe(true);
    expect(speculative?.servedBy()).toBe('replica');
    expect(await readsCounted(metrics)).toEqual({ 'replica/fresh': 1 });
    // The check asked the replica nothing: the position it knew was enough.
    expect(replica.asked).toBe(0);
  });

  it('discards the answer when the watermark is past that position, even if the replica caught up during the reads', async () => {
    const metrics = createMetrics(() => null);
    const replica = replicaAt('r1', 100n);
    const { watermark, reads } = manualWatermark();
    const routing = routingOver([replica], watermark, metrics);
    const speculative = routing.speculativeReader(QUERY);
    // The reads ran; meanwhile the replica replayed further, after they had started.
    replica.replayed = 500n;
    await started(reads, 1);
    reads[0]?.resolve(101n);
    expect(await speculative?.confirmed()).toBe(false);
    // Not counted: the request runs again through readerFor, which counts where it went.
    expect(await readsCounted(metrics)).toEqual({});
  });

  it('discards the answer when the watermark cannot be read: freshness unknown is stale', async () => {
    const speculative = routingOver([replicaAt('r1', 100n)], watermarkAt(new Error('redis down'))).speculativeReader(QUERY);
    expect(await speculative?.confirmed()).toBe(false);
  });

  it('is not offered once a later watermark was seen, until the replica is seen past it', async () => {
    const replica = replicaAt('r1', 100n);
    const { watermark, reads } = manualWatermark();
    const routing = routingOver([replica], watermark);
    const first = routing.speculativeReader(QUERY);
    await started(reads, 1);
    reads[0]?.resolve(200n);
    expect(await first?.confirmed()).toBe(false);
    expect(routing.speculativeReader(QUERY)).toBeNull();
    // readerFor asks the replica again (here: it has replayed 300), and speculation resumes.
    replica.replayed = 300n;
    const routed = routing.readerFor(QUERY);
    reads[1]?.resolve(200n);
    expect((await routed).servedBy()).toBe('replica');
    expect(routing.speculativeReader(QUERY)).not.toBeNull();
  });

  it('is not offered after this gateway’s own permission write, until the replica is seen past it', async () => {
    const watermark = watermarkAt(0n);
    const routing = routingOver([replicaAt('r1', 100n)], watermark);
    expect(routing.speculativeReader(QUERY)).not.toBeNull();
    await routing.published(); // the watermark is now 0x1_0000_00a0
    expect(routing.speculativeReader(QUERY)).toBeNull();
  });

  it('waits for a watermark read that starts after the request came, never one already running', async () => {
    const { watermark, reads } = manualWatermark();
    const routing = routingOver([replicaAt('r1', 100n)], coalescingReads(watermark));
    const before = routing.readerFor(QUERY);
    expect(reads).toHaveLength(1);
    const speculative = routing.speculativeReader(QUERY);
    // The running read may miss a write acknowledged after it started: a later one decides.
    reads[0]?.resolve(100n);
    expect((await before).servedBy()).toBe('replica');
    await started(reads, 2);
    reads[1]?.resolve(101n);
    expect(await speculative?.confirmed()).toBe(false);
  });

  it('requests arriving within a few milliseconds share one watermark read, which starts after the last of them', async () => {
    const { watermark, reads } = manualWatermark();
    const routing = routingOver([replicaAt('r1', 100n)], coalescingReads(watermark));
    const gathered = [routing.speculativeReader(QUERY), routing.speculativeReader(QUERY), routing.speculativeReader(QUERY)];
    // None has started yet: a read started before a request came could miss a write acknowledged meanwhile.
    expect(reads).toHaveLength(0);
    await started(reads, 1);
    const later = routing.speculativeReader(QUERY);
    reads[0]?.resolve(100n);
    expect(await Promise.all(gathered.map((speculative) => speculative?.confirmed()))).toEqual([true, true, true]);
    // A request after the read started waits for another.
    await started(reads, 2);
    expect(reads).toHaveLength(2);
    reads[1]?.resolve(100n);
    expect(await later?.confirmed()).toBe(true);
  });
});

describe('coalesced watermark reads', () => {
  it('answers a request that arrives during a read with the next read, never the running one', async () => {
    const { watermark, reads } = manualWatermark();
    const shared = coalescingReads(watermark);
    const first = shared.latest();
    const second = shared.latest();
    const third = shared.latest();
    expect(reads).toHaveLength(1);
    reads[0]?.resolve(5n);
    expect(await first).toBe(5n);
    await tick();
    // The second and third arrived while the first read ran: one new read serves both.
    expect(reads).toHaveLength(2);
    reads[1]?.resolve(9n);
    expect([await second, await third]).toEqual([9n, 9n]);
  });

  it('a failed read fails only those who waited for it; the next request reads again', async () => {
    const { watermark, reads } = manualWatermark();
    const shared = coalescingReads(watermark);
    const first = shared.latest();
    const second = shared.latest();
    reads[0]?.reject(new Error('primary down'));
    await expect(first).rejects.toThrow('primary down');
    await tick();
    reads[1]?.resolve(3n);
    expect(await second).toBe(3n);
    const third = shared.latest();
    expect(reads).toHaveLength(3);
    reads[2]?.resolve(4n);
    expect(await third).toBe(4n);
  });
});
