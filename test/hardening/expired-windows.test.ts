import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { deleteExpiredWindows } from '../../src/limits/expired-windows.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

describe('expired rate-limit windows', () => {
  it('are deleted once they have been over for a day, and the others stay', async () => {
    const now = Date.now();
    const prefix = `sweep-test:${now}:`;
    const windows = { longOver: now - 2 * 86_400_000, justOver: now - 60_000, current: now + 60_000 };
    for (const [name, expire] of Object.entries(windows)) {
      await sql`insert into rate_limit_window (key, points, expire) values (${prefix + name}, 1, ${expire})`.execute(t.database.db);
    }
    expect(await deleteExpiredWindows(t.database.db, now)).toBeGreaterThanOrEqual(1);
    const left = await sql<{ key: string }>`
      select key from rate_limit_window where key like ${`${prefix}%`} order by key`.execute(t.database.db);
    expect(left.rows.map((row) => row.key.slice(prefix.length))).toEqual(['current', 'justOver']);
  });
});
