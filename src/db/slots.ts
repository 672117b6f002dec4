import type { DB } from './database.js';

/** Each counted limit: the row that holds the counter, and its maximum. */
const SLOT_COUNTERS = {
  account: { counter: 'workspace_count', limit: 20 },
  workspace: { counter: 'api_key_count', limit: 20 },
} as const;

/**
 * Takes one of a row's counted slots (an account's 20 workspaces, a workspace's 20 API keys). The
 * row lock serializes takers, and the CHECK on the counter refuses one too many under concurrency.
 */
export async function takeSlot(db: DB, table: keyof typeof SLOT_COUNTERS, id: string): Promise<boolean> {
  const { counter, limit } = SLOT_COUNTERS[table];
  const result = await db
    .updateTable(table)
    .set((eb) => ({ [counter]: eb(eb.ref(counter), '+', 1) }))
    .where('id', '=', id)
    .where(counter, '<', limit)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
