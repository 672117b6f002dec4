import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { prepared, preparedStatement } from '../db/prepared-statements.js';
import { CURRENT_MONTH } from '../models/models.repository.js';
import type { ModelUsageTable } from './usage.table.js';

/** A call's usage, as recorded: its cost in US dollars. */
export type NewUsage = Omit<ModelUsageTable, 'recorded_at' | 'cost'> & { cost: number };

const usageInsert = preparedStatement(
  'model_usage_insert',
  (
    db: DB,
    values: {
      callIds: readonly string[];
      accountIds: readonly string[];
      workspaceIds: readonly string[];
      modelIds: readonly string[];
      apiKeyIds: readonly string[];
      inputTokens: readonly number[];
      outputTokens: readonly number[];
      costs: readonly number[];
      calledAts: readonly string[];
    },
  ) =>
    db
      .insertInto('model_usage')
      .columns(['call_id', 'account_id', 'workspace_id', 'model_id', 'api_key_id', 'input_tokens', 'output_tokens', 'cost', 'called_at'])
      .expression(
        sql`select * from unnest(${values.callIds}::text[], ${values.accountIds}::text[], ${values.workspaceIds}::text[],
          ${values.modelIds}::text[], ${values.apiKeyIds}::text[], ${values.inputTokens}::int4[], ${values.outputTokens}::int4[],
          ${values.costs}::numeric[], ${values.calledAts}::timestamptz[])`,
      )
      .onConflict((oc) => oc.column('call_id').doNothing())
      .returning('call_id'),
);

/**
 * Records calls' usage in one statement, in the order given; answers the call IDs recorded now
 * (the others were recorded already). A statement of one text whatever the number of calls, the
 * lists unnested: prepared, it is parsed and planned once per connection.
 */
export async function insertUsages(db: DB, usages: readonly NewUsage[]): Promise<Set<string>> {
  const inserted = await usageInsert(db, {
    callIds: usages.map((u) => u.call_id),
    accountIds: usages.map((u) => u.account_id),
    workspaceIds: usages.map((u) => u.workspace_id),
    modelIds: usages.map((u) => u.model_id),
    apiKeyIds: usages.map((u) => u.api_key_id),
    inputTokens: usages.map((u) => u.input_tokens),
    outputTokens: usages.map((u) => u.output_tokens),
    // node-pg sends each as its shortest decimal text (String(cost)), as it sent a single cost: the same numeric.
    costs: usages.map((u) => u.cost),
    calledAts: usages.map((u) => u.called_at.toISOString()),
  });
  return new Set(inserted.map((row) => row.call_id));
}

/**
 * Adds calls' costs to their workspaces' spend of the month (UTC), in one statement, as if one
 * after another in their order: answers, for each, whether the spend up to and including it
 * reaches its workspace's budget. Workspaces' rows are locked in the order of their IDs, so that
 * concurrent statements never deadlock; costs are summed as numeric, as one by one. Prepared: its
 * text is the same for any number of calls.
 */
export async function addSpends(db: DB, spends: ReadonlyArray<{ workspaceId: string; cost: number }>): Promise<boolean[]> {
  const statement = sql<{ budget_reached: boolean }>`
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
    from running r order by r.n`;
  const { rows } = await db.executeQuery(prepared('workspace_spend_add', statement.compile(db)));
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
