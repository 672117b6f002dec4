import { setTimeout } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LastUseRecorder, usesOnceKept } from '../../src/auth/last-use.js';
import { countStatements, type StatementCount } from '../../src/db/statement-counter.js';
import { createLogger } from '../../src/logger.js';
import { createKey, modelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

describe('lastUsedAt stamps', () => {
  it('of many credentials used at once are written by one statement, and not again within the minute', async () => {
    const account = await modelStudioAccount(t.client);
    const keys = await Promise.all(Array.from({ length: 5 }, () => createKey(t.client, account.token, account.W)));
    const ids = keys.map((key) => key.id);
    const count: StatementCount = { statements: 0 };
    const recorder = new LastUseRecorder(t.database.db.withPlugin(countStatements(count)), createLogger('silent'));

    for (const id of [...ids, ...ids]) recorder.record('api_key', id);
    expect(count.statements).toBe(0);
    await recorder.flush();
    expect(count.statements).toBe(1);
    const stamped = await sql<{ id: string; last_used_at: Date | null }>`
      select id, last_used_at from api_key where id in (${sql.join(ids)})`.execute(t.database.db);
    expect(stamped.rows).toHaveLength(ids.length);
    for (const row of stamped.rows) expect(row.last_used_at, row.id).not.toBeNull();

    for (const id of ids) recorder.record('api_key', id);
    await recorder.flush();
    expect(count.statements).toBe(1);
  });

  it('are the time of the use, not of the write, and never move back', async () => {
    const account = await modelStudioAccount(t.client);
    const key = await createKey(t.client, account.token, account.W);
    const tenMinutesAgo = Date.now() - 10 * 60_000;
    const stampAt = async (usedAt: number) => {
      const recorder = new LastUseRecorder(t.database.db, createLogger('silent'));
      vi.spyOn(Date, 'now').mockReturnValue(usedAt);
      recorder.record('api_key', key.id);
      vi.restoreAllMocks();
      await recorder.flush();
      const { rows } = await sql<{ last_used_at: Date }>`select last_used_at from api_key where id = ${key.id}`.execute(t.database.db);
      return rows[0]?.last_used_at.getTime();
    };

    expect(await stampAt(tenMinutesAgo)).toBe(tenMinutesAgo);
    expect(await stampAt(tenMinutesAgo - 5 * 60_000)).toBe(tenMinutesAgo);
    expect(await stampAt(tenMinutesAgo + 30_000)).toBe(tenMinutesAgo);
    expect(await stampAt(tenMinutesAgo + 90_000)).toBe(tenMinutesAgo + 90_000);
  });

  describe('are written on a timer', () => {
    beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
    afterEach(() => vi.useRealTimers());

    /** A recorder whose statements are counted, as they complete. */
    const countingRecorder = () => {
      const count: StatementCount = { statements: 0 };
      return { count, recorder: new LastUseRecorder(t.database.db.withPlugin(countStatements(count)), createLogger('silent')) };
    };

    it('by a busy process (a thousand credentials in the first second) a minute after the first use, together', async () => {
      const { count, recorder } = countingRecorder();
      for (let i = 0; i < 1_000; i++) recorder.record('api_key', `key_busy_${i}`);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(count.statements).toBe(0);
      recorder.record('api_key', 'key_busy_late');
      await vi.advanceTimersByTimeAsync(58_000);
      expect(count.statements).toBe(0);
      await vi.advanceTimersByTimeAsync(1_000);
      await recorder.flush();
      expect(count.statements).toBe(2);
    });

    it('by a quiet one a second after the first use', async () => {
      const { count, recorder } = countingRecorder();
      for (let i = 0; i < 999; i++) recorder.record('api_key', `key_quiet_${i}`);
      await vi.advanceTimersByTimeAsync(999);
      expect(count.statements).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      await recorder.flush();
      expect(count.statements).toBe(1);
    });

    it('at once when a hundred thousand are gathered, before any timer', async () => {
      const account = await modelStudioAccount(t.client);
      const key = await createKey(t.client, account.token, account.W);
      const { recorder } = countingRecorder();
      recorder.record('api_key', key.id);
      for (let i = 1; i < 100_000; i++) recorder.record('api_key', `key_many_${i}`);
      const stamped = async () => {
        const { rows } = await sql<{ last_used_at: Date | null }>`select last_used_at from api_key where id = ${key.id}`.execute(
          t.database.db,
        );
        return rows[0]?.last_used_at != null;
      };
      // No fake time passes: only the hundred-thousandth use can have started the write.
      let attempts = 0;
      while (!(await stamped()) && attempts++ < 500) await new Promise((resolve) => setImmediate(resolve));
      expect(await stamped()).toBe(true);
      await recorder.flush();
    });
  });

  // PGlite is one connection: only PostgreSQL has another transaction holding a row meanwhile.
  it.skipIf(testDatabaseKind() !== 'postgres')(
    'never wait for a key another transaction holds: they leave it to that one and stamp the rest',
    async () => {
      const account = await modelStudioAccount(t.client);
      const keys = await Promise.all(Array.from({ length: 3 }, () => createKey(t.client, account.token, account.W)));
      const [held, ...free] = keys.map((key) => key.id) as [string, ...string[]];
      const logger = createLogger('silent');
      const warn = vi.spyOn(logger, 'warn');
      const recorder = new LastUseRecorder(t.database.db, logger);
      for (const id of [...free, held]) recorder.record('api_key', id);

      // Another process stamping the same key, or a change to it. A stamp that waited for it could
      // deadlock with it (each holding a key the other wants next), and the one given up could be the change.
      const whileHeld = await t.database.db.transaction().execute(async (other) => {
        await sql`select id from api_key where id = ${held} for update`.execute(other);
        const flushed = recorder.flush().then(() => 'written' as const);
        return Promise.race([flushed, setTimeout(3_000, 'still waiting' as const)]);
      });
      await recorder.flush();

      expect(whileHeld).toBe('written');
      expect(warn).not.toHaveBeenCalled();
      const { rows } = await sql<{ id: string; last_used_at: Date | null }>`
        select id, last_used_at from api_key where id = any(${[held, ...free]}::text[])`.execute(t.database.db);
      const stamped = rows.filter((row) => row.last_used_at !== null).map((row) => row.id);
      expect(new Set(stamped)).toEqual(new Set(free));
    },
  );

  it('of a request whose answer may be discarded are passed on only once it is kept', async () => {
    const recorded: string[] = [];
    const recorder = { record: (table: string, id: string) => void recorded.push(`${table}/${id}`) };
    let keep: (kept: boolean) => void = () => {};
    const kept = new Promise<boolean>((resolve) => (keep = resolve));
    const discarded = usesOnceKept(recorder, Promise.resolve(false));
    const held = usesOnceKept(recorder, kept);

    discarded.record('api_key', 'key_stale');
    held.record('api_key', 'key_1');
    held.record('access_key', 'ak_1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorded).toEqual([]);
    keep(true);
    await kept;
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorded).toEqual(['api_key/key_1', 'access_key/ak_1']);
  });
});
