import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { CURRENT_MONTH } from '../models/models.repository.js';
import type { ModelUsageTable } from './usage.table.js';

/** A call's usage, as recorded: its cost in US dollars. */
export type NewUsage = Omit<ModelUsageTable, 'recorded_at' | 'cost'> & { cost: number };

/** Records calls' usage in one statement; answers the call IDs recorded now (the others were recorded already). */
export async function insertUsages(db: DB, usages: readonly NewUsage[]): Promise<Set<string>> {
  const inserted = await db
    .insertInto('model_usage')
    .values(usages.map((usage) => ({ ...usage, cost: sql<number>`${usage.cost}::numeric` as never })))
    .onConflict((oc) => oc.column('call_id').doNothing())
    .returning('call_id')
    .execute();
  return new Set(inserted.map((row) => row.call_id));
}

/**
 * Adds calls' costs to their workspaces' spend of the month (UTC), in one statement, as if one
 * after another in their order: answers, for each, whether the spend up to and including it
 * reaches its workspace's budget. Workspaces' rows are locked in the order of their IDs, so that
 * concurrent statements never deadlock; costs are summed as numeric, as one by one.
 */
export async function addSpends(db: DB, spends: ReadonlyArray<{ workspaceId: string; cost: number }>): Promise<boolean[]> {
  const { rows } = await sql<{ budget_reached: boolean }>`
    with batch as (
      select b.workspace_id, b.cost, b.n
      from unnest(${spends.map((s) => s.workspaceId)}::text[], ${spends.map((s) => s.cost)}::numeric[]) with ordinality as b(workspace_id, cost, n)
    ), spend as (
      insert into workspace_spend (workspace_id, month, spent)
      select workspace_id, ${CURRENT_MONTH}, sum(cost) from batch group by workspace_id order by workspace_id
      on conflict (workspace_id, month) do update set spent = workspace_spend.spent + excluded.spent
      returning workspace_id, spent
    ), running as (
      -- Each call's spend: the workspace's after the statement, less what came after the call.
      select b.n, b.workspace_id,
        s.spent - coalesce(sum(b.cost) over (partition by b.workspace_id order by b.n rows between 1 following and unbounded following), 0) as spent
      from batch b join spend s using (workspace_id)
    )
    select exists (select 1 from workspace_budget w where w.workspace_id = r.workspace_id and r.spent >= w.monthly_limit) as budget_reached
    from running r order by r.n`.execute(db);
  return rows.map((row) => row.budget_reached);
}

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
