import DataLoader from 'dataloader';
import type { DB } from '../db/database.js';
import { oneByKey } from '../db/group-rows.js';
import { type BudgetState, findBudgetsByWorkspaceIds } from './usage.repository.js';

export function createUsageLoaders(db: DB) {
  return {
    budgetByWorkspaceId: new DataLoader<string, BudgetState | null>(async (ids) =>
      oneByKey(ids, await findBudgetsByWorkspaceIds(db, ids), (row) => row.workspace_id),
    ),
  };
}
