import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { countStatements, type StatementCount } from '../../src/db/statement-counter.js';
import { consumeWindow, consumeWindows, peekWindow } from '../../src/usage/database-windows.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();
const MINUTE = 60_000;

const freshKey = () => `test-window:${randomUUID()}`;
const storedPoints = async (key: string) =>
  (await sql<{ points: string }>`select points from model_call_counter where key = ${key}`.execute(t.database.db)).rows[0]?.points;
const openWindowAt = (key: string, points: number, expire: number) =>
  sql`insert into model_call_counter (key, points, expire) values (${key}, ${points}, ${expire})`.execute(t.database.db);

/**
 * The model-call windows in the database (src/usage/database-windows.ts): consumptions taken in
 * one statement count exactly as if taken one after another, in the order they were asked.
 */
describe('model-call windows in the database', () => {
  it('count the consumptions of one statement one after another, key by key', async () => {
    const [a, b] = [freshKey(), freshKey()];
    await openWindowAt(a, 10, Date.now() + MINUTE);
    const answers = await consumeWindows(t.database.db, [
      { key: a, points: 1, durationMs: MINUTE },
      { key: b, points: 5, durationMs: MINUTE },
      { key: a, points: 2, durationMs: MINUTE },
      { key: a, points: 3, durationMs: MINUTE },
    ]);
    expect(answers.map((answer) => answer.points)).toEqual([11, 5, 13, 16]);
    expect(Number(await storedPoints(a))).toBe(16);
    expect(Number(await storedPoints(b))).toBe(5);
    expect((await peekWindow(t.database.db, a))?.points).toBe(16);
  });

  it('start a window that is over again, for the period of the first consumption that meets it', async () => {
    const key = freshKey();
    await openWindowAt(key, 100, Date.now() - 1);
    expect(await peekWindow(t.database.db, key)).toBeNull();
    const before = Date.now();
    const answers = await consumeWindows(t.database.db, [
      { key, points: 2, durationMs: MINUTE },
      { key, points: 3, durationMs: 1_000 },
    ]);
    expect(answers.map((answer) => answer.points)).toEqual([2, 5]);
    for (const answer of answers) {
      expect(answer.expire).toBeGreaterThanOrEqual(before + MINUTE);
      expect(answer.expire).toBeLessThanOrEqual(Date.now() + MINUTE);
    }
  });

  it('take concurrent consumptions in two statements, not one each, and give each its own count', async () => {
    const key = freshKey();
    const count: StatementCount = { statements: 0 };
    const counted = t.database.db.withPlugin(countStatements(count));
    const answers = await Promise.all(Array.from({ length: 40 }, () => consumeWindow(counted, { key, points: 1, durationMs: MINUTE })));
    // The first runs at once; the 39 asked while it ran share the next statement.
    expect(count.statements).toBe(2);
    expect(answers.map((answer) => answer.points).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(Number(await storedPoints(key))).toBe(40);
  });

  it('count past a 32-bit integer: a token window goes on counting recorded calls past its limit', async () => {
    const key = freshKey();
    await openWindowAt(key, 2_100_000_000, Date.now() + MINUTE);
    const [after] = await consumeWindows(t.database.db, [{ key, points: 100_000_000, durationMs: MINUTE }]);
    expect(after?.points).toBe(2_200_000_000);
    expect(Number(await storedPoints(key))).toBe(2_200_000_000);
  });

  it('count nothing from a transaction that rolls back', async () => {
    const key = freshKey();
    await openWindowAt(key, 7, Date.now() + MINUTE);
    const failed = t.database.db.transaction().execute(async (trx) => {
      expect((await consumeWindows(trx, [{ key, points: 4, durationMs: MINUTE }]))[0]?.points).toBe(11);
      throw new Error('the rest of the transaction failed');
    });
    await expect(failed).rejects.toThrow('the rest of the transaction failed');
    expect(Number(await storedPoints(key))).toBe(7);
  });
});
