import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { CURRENT_MONTH } from '../models/models.repository.js';
import type { ModelUsageTable } from './usage.table.js';

/** Records a call's usage; false when the call was recorded already (its ID is the key). */
export async function insertUsage(db: DB, usage: Omit<ModelUsageTable, 'recorded_at' | 'cost'> & { cost: number }): Promise<boolean> {
  const inserted = await db
    .insertInto('model_usage')
    .values({ ...usage, cost: sql<number>`${usage.cost}::numeric` as never })
    .onConflict((oc) => oc.column('call_id').doNothing())
    .returning('call_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Adds to the spend of the month the call was made in (UTC); answers whether it now reaches the workspace's budget. */
export const addSpend = async (db: DB, workspaceId: string, cost: number): Promise<{ budgetReached: boolean }> => {
  const { rows } = await sql<{ budget_reached: boolean }>`
    with spend as (
      insert into workspace_spend (workspace_id, month, spent) values (${workspaceId}, ${CURRENT_MONTH}, ${cost}::numeric)
      on conflict (workspace_id, month) do update set spent = workspace_spend.spent + excluded.spent
      returning spent
    )
    select exists (
      select 1 from workspace_budget b, spend where b.workspace_id = ${workspaceId} and spend.spent >= b.monthly_limit
    ) as budget_reached`.execute(db);
  return { budgetReached: rows[0]?.budget_reached === true };
};

export const upsertBudget = (db: DB, row: { workspaceId: string; accountId: string; monthlyLimit: number }) =>
  db
    .insertInto('workspace_budget')
    .values({ workspace_id: row.workspaceId, account_id: row.accountId, monthly_limit: row.monthlyLimit })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ monthly_limit: row.monthlyLimit, updated_at: new Date() }))
    .execute();

export const deleteBudget = (db: DB, workspaceId: string) =>
  db.deleteFrom('workspace_budget').where('workspace_id', '=', workspaceId).execute();

export interface BudgetState {
  workspace_id: string;
  monthly_limit: number;
  spent: number;
}

/** Each workspace's budget with this month's spend. */
export const findBudgetsByWorkspaceIds = (db: DB, workspaceIds: readonly string[]) =>
  db
    .selectFrom('workspace_budget as b')
    .leftJoin('workspace_spend as s', (join) => join.onRef('s.workspace_id', '=', 'b.workspace_id').on('s.month', '=', CURRENT_MONTH))
    .select([
      'b.workspace_id',
      sql<number>`b.monthly_limit::float8`.as('monthly_limit'),
      sql<number>`coalesce(s.spent, 0)::float8`.as('spent'),
    ])
    .where('b.workspace_id', 'in', workspaceIds)
    .execute();

export type UsageGrouping = 'MODEL' | 'API_KEY' | 'DAY';

const GROUP_KEYS: Record<UsageGrouping, ReturnType<typeof sql.raw>> = {
  MODEL: sql.raw('model_id'),
  API_KEY: sql.raw('api_key_id'),
  DAY: sql.raw(`to_char(called_at at time zone 'utc', 'YYYY-MM-DD')`),
};

export interface UsageBucketRow {
  key: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost: number;
}

/** A workspace's recorded usage in [since, until), summed per model, key or UTC day. */
export async function usageOf(db: DB, workspaceId: string, since: Date, until: Date, groupBy: UsageGrouping): Promise<UsageBucketRow[]> {
  const key = GROUP_KEYS[groupBy];
  const { rows } = await sql<UsageBucketRow>`
    select ${key} as key, count(*)::int as calls, sum(input_tokens)::float8 as input_tokens,
      sum(output_tokens)::float8 as output_tokens, sum(cost)::float8 as cost
    from model_usage
    where workspace_id = ${workspaceId} and called_at >= ${since} and called_at < ${until}
    group by 1 order by 1`.execute(db);
  return rows;
}
