import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import type { SharedReads } from '../db/coalesced-statements.js';
import { allColumns } from '../db/columns.js';
import { prepared } from '../db/prepared-statements.js';
import type { Joined, PageRequest } from '../relay/connection.js';
import { keyPositions, pageStatement } from '../relay/page-statements.js';
import {
  foundApiKeyColumns,
  foundApiKeyFromRow,
  presentedKeyStatements,
  type FoundApiKey,
  type PresentedApiKey,
} from '../api-keys/api-keys.repository.js';
import { pickColumns } from '../db/pick-columns.js';
import type { WorkspaceRow } from '../workspaces/workspaces.table.js';
import type { ModelAuthorizationRow, ModelRateLimitRow, ModelRow } from './models.table.js';

export const listStandardModels = (db: DB) => db.selectFrom('model').selectAll().where('workspace_id', 'is', null).orderBy('id').execute();

export const findFineTunedModelsByWorkspaceIds = (db: DB, workspaceIds: readonly string[]) =>
  db.selectFrom('model').selectAll().where('workspace_id', 'in', workspaceIds).orderBy('id').execute();

export const insertFineTunedModel = (
  db: DB,
  row: Pick<ModelRow, 'id' | 'display_name' | 'account_id' | 'workspace_id' | 'base_model_id'>,
) =>
  db
    .insertInto('model')
    .values({
      ...row,
      description: `Fine-tuned from ${row.base_model_id}.`,
      supports_inference: true,
      supports_finetune: false,
      supports_deploy: true,
    })
    .returningAll()
    .executeTakeFirstOrThrow();

const MODEL_COLUMNS = allColumns<ModelRow>()(
  'id',
  'display_name',
  'description',
  'supports_inference',
  'supports_finetune',
  'supports_deploy',
  'account_id',
  'workspace_id',
  'base_model_id',
  'input_price_per_million',
  'output_price_per_million',
  'created_at',
);

const AUTHORIZATION_COLUMNS = allColumns<ModelAuthorizationRow>()(
  'workspace_id',
  'model_id',
  'account_id',
  'inference',
  'finetune',
  'deploy',
  'updated_at',
);

const RATE_LIMIT_COLUMNS = allColumns<ModelRateLimitRow>()(
  'workspace_id',
  'model_id',
  'account_id',
  'request_limit',
  'request_limit_period_seconds',
  'usage_limit',
  'usage_limit_period_seconds',
  'updated_at',
);

/**
 * A page of a per-(workspace, model) table's rows in one workspace, each with its model (one
 * statement for the whole page), in model ID order: the cursor's second part is the last model
 * ID. The models come along so that the page primes the model loader: a row's model read through
 * the loader would race the other list's page that primes it, for one more statement when it lost.
 */
function pageWithModels<Row>(table: 'model_authorization' | 'model_rate_limit', columns: readonly string[]) {
  const statement = pageStatement(`${table}_page`, [`${table}.model_id`], (db: DB, { workspaceId }: { workspaceId: string }, paged) =>
    paged(
      db
        .selectFrom(table)
        .innerJoin('model', (join) => join.onRef('model.id', '=', sql.ref(`${table}.model_id`)))
        .select(columns.map((column) => sql.ref(`${table}.${column}`).as(column)))
        .select(MODEL_COLUMNS.map((column) => sql.ref(`model.${column}`).as(`model__${column}`)))
        .where(sql.ref(`${table}.workspace_id`), '=', workspaceId),
    ),
  );
  return async (db: DB, workspaceId: string, page: PageRequest): Promise<Array<Joined<Row, ModelRow>>> => {
    const rows = await statement(db, { workspaceId }, page, keyPositions(page));
    return rows.map((row) => ({
      node: pickColumns<Row>(row, '', columns),
      joined: pickColumns<ModelRow>(row, 'model__', MODEL_COLUMNS),
    }));
  };
}

/** A page of a workspace's model authorizations, each with its model. */
export const listAuthorizations = pageWithModels<ModelAuthorizationRow>('model_authorization', AUTHORIZATION_COLUMNS);

/** A page of a workspace's rate limits, each with its model. */
export const listRateLimits = pageWithModels<ModelRateLimitRow>('model_rate_limit', RATE_LIMIT_COLUMNS);

const columnList = (columns: readonly string[]) => sql.join(columns.map((column) => sql.ref(column)));

/** Models by ID, in one prepared statement whatever their number (the IDs as one list). */
export async function findModelsByIds(db: DB, ids: readonly string[]): Promise<ModelRow[]> {
  const statement = sql<ModelRow>`select ${columnList(MODEL_COLUMNS)} from model where id = any(${ids}::text[])`;
  return (await db.executeQuery(prepared('models_by_ids', statement.compile(db)))).rows;
}

const PER_WORKSPACE_MODEL_COLUMNS = { model_authorization: AUTHORIZATION_COLUMNS, model_rate_limit: RATE_LIMIT_COLUMNS };

/**
 * The rows of a per-(workspace, model) table for these pairs, in one prepared statement whatever
 * their number (the pairs as two lists, unnested together).
 */
export async function findByWorkspaceModel<Row>(
  db: DB,
  table: 'model_authorization' | 'model_rate_limit',
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<Row[]> {
  const statement = sql<Row>`select ${columnList(PER_WORKSPACE_MODEL_COLUMNS[table])} from ${sql.table(table)}
    where (workspace_id, model_id) in (select * from unnest(${pairs.map(([w]) => w)}::text[], ${pairs.map(([, m]) => m)}::text[]))`;
  const { rows } = await db.executeQuery(prepared(`${table}_by_pairs`, statement.compile(db)));
  return rows;
}

/** Sets the given flags; absent flags keep their value (false for a new row). */
export const upsertAuthorization = (
  db: DB,
  row: { accountId: string; workspaceId: string; modelId: string; flags: Partial<Record<'inference' | 'finetune' | 'deploy', boolean>> },
) =>
  db
    .insertInto('model_authorization')
    .values({
      account_id: row.accountId,
      workspace_id: row.workspaceId,
      model_id: row.modelId,
      inference: row.flags.inference ?? false,
      finetune: row.flags.finetune ?? false,
      deploy: row.flags.deploy ?? false,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'model_id']).doUpdateSet({ ...row.flags, updated_at: sql`now()` }))
    .returningAll()
    .executeTakeFirstOrThrow();

/** OPEN sets the flag; CLOSE clears it and every per-model inference grant. */
export async function setAllModelsOpen(db: DB, workspaceId: string, open: boolean) {
  const workspace = await db
    .updateTable('workspace')
    .set({ all_models_open: open })
    .where('id', '=', workspaceId)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (!open) {
    await db
      .updateTable('model_authorization')
      .set({ inference: false, updated_at: sql`now()` })
      .where('workspace_id', '=', workspaceId)
      .where('inference', '=', true)
      .execute();
  }
  return workspace;
}

export const upsertRateLimit = (db: DB, row: Omit<ModelRateLimitRow, 'updated_at'>) =>
  db
    .insertInto('model_rate_limit')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'model_id']).doUpdateSet({
        request_limit: row.request_limit,
        request_limit_period_seconds: row.request_limit_period_seconds,
        usage_limit: row.usage_limit,
        usage_limit_period_seconds: row.usage_limit_period_seconds,
        updated_at: sql`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();

/**
 * The stored rate limit of (workspace, model), locked until the transaction ends (`for update`),
 * so that a merge reads and writes it without another merge in between.
 */
export const findRateLimitForUpdate = (db: DB, workspaceId: string, modelId: string): Promise<ModelRateLimitRow | undefined> =>
  db
    .selectFrom('model_rate_limit')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('model_id', '=', modelId)
    .forUpdate()
    .executeTakeFirst();

/** Inserts the rate limit unless a row exists (perhaps inserted concurrently): then answers undefined. */
export const insertRateLimitIfAbsent = (db: DB, row: Omit<ModelRateLimitRow, 'updated_at'>): Promise<ModelRateLimitRow | undefined> =>
  db
    .insertInto('model_rate_limit')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'model_id']).doNothing())
    .returningAll()
    .executeTakeFirst();

/** Replaces the four limits of an existing (locked) rate limit row. */
export const updateRateLimit = (db: DB, row: Omit<ModelRateLimitRow, 'updated_at' | 'account_id'>) =>
  db
    .updateTable('model_rate_limit')
    .set({
      request_limit: row.request_limit,
      request_limit_period_seconds: row.request_limit_period_seconds,
      usage_limit: row.usage_limit,
      usage_limit_period_seconds: row.usage_limit_period_seconds,
      updated_at: sql`now()`,
    })
    .where('workspace_id', '=', row.workspace_id)
    .where('model_id', '=', row.model_id)
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteRateLimit = (db: DB, workspaceId: string, modelId: string) =>
  db.deleteFrom('model_rate_limit').where('workspace_id', '=', workspaceId).where('model_id', '=', modelId).executeTakeFirst();

/** The key as authentication finds it, with every fact of a call of the model. */
export interface ModelCallFactsRow extends FoundApiKey {
  workspace: WorkspaceRow;
  model: Pick<ModelRow, 'id' | 'account_id' | 'workspace_id' | 'supports_inference'> | null;
  inferenceAuthorized: boolean;
  rateLimit: ModelRateLimitRow | null;
  /** The workspace's monthly budget and this month's spend (UTC months); null without a budget. */
  budget: { monthlyLimit: number; spent: number } | null;
}

/** The first day of the current month, in UTC: budgets are monthly. */
export const CURRENT_MONTH = sql<Date>`date_trunc('month', now() at time zone 'utc')::date`;

const WORKSPACE_COLUMNS = ['id', 'account_id', 'region', 'kind', 'name', 'all_models_open', 'api_key_count', 'created_at'] as const;

/**
 * The inference proxy's hot path in one statement: the live key with its owner, the key's
 * workspace, the model, its authorization and rate limit there, and the owner's membership.
 */
const modelCall = presentedKeyStatements('model_call', ['model_id'], (db, presented) => {
  const modelId = presented.extra('model_id');
  return db
    .selectFrom(presented.from)
    .innerJoin('api_key as k', (join) => join.on(presented.matches))
    .innerJoin('principal', 'principal.id', 'k.owner_id')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .innerJoin('workspace as w', 'w.id', 'k.workspace_id')
    .leftJoin('model as m', (join) => join.on('m.id', '=', modelId))
    .leftJoin('model_authorization as ma', (join) => join.onRef('ma.workspace_id', '=', 'w.id').on('ma.model_id', '=', modelId))
    .leftJoin('model_rate_limit as rl', (join) => join.onRef('rl.workspace_id', '=', 'w.id').on('rl.model_id', '=', modelId))
    .leftJoin('workspace_budget as wb', 'wb.workspace_id', 'w.id')
    .leftJoin('workspace_spend as ws', (join) => join.onRef('ws.workspace_id', '=', 'w.id').on('ws.month', '=', CURRENT_MONTH))
    .select(foundApiKeyColumns('k'))
    .select([sql<number | null>`wb.monthly_limit::float8`.as('budget_limit'), sql<number | null>`ws.spent::float8`.as('budget_spent')])
    .select(WORKSPACE_COLUMNS.map((column) => sql.ref(`w.${column}`).as(`workspace__${column}`)))
    .select([
      'm.id as model_id',
      'm.account_id as model_account_id',
      'm.workspace_id as model_workspace_id',
      'm.supports_inference as model_supports_inference',
      'ma.inference as authorized_inference',
      'rl.request_limit',
      'rl.request_limit_period_seconds',
      'rl.usage_limit',
      'rl.usage_limit_period_seconds',
      'rl.updated_at as rate_limit_updated_at',
    ]);
});

export async function findModelCall(reads: SharedReads, presented: PresentedApiKey, modelId: string): Promise<ModelCallFactsRow | null> {
  const [row] = await modelCall(reads, presented, { model_id: modelId });
  if (!row) return null;
  const raw = row as Record<string, unknown>;
  const workspace = pickColumns<WorkspaceRow>(raw, 'workspace__', WORKSPACE_COLUMNS);
  return {
    ...foundApiKeyFromRow(raw),
    workspace,
    model: row.model_id
      ? {
          id: row.model_id,
          account_id: row.model_account_id,
          workspace_id: row.model_workspace_id,
          supports_inference: row.model_supports_inference === true,
        }
      : null,
    inferenceAuthorized: row.authorized_inference === true,
    budget: row.budget_limit === null ? null : { monthlyLimit: row.budget_limit, spent: row.budget_spent ?? 0 },
    rateLimit: row.rate_limit_updated_at
      ? {
          workspace_id: workspace.id,
          model_id: modelId,
          account_id: workspace.account_id,
          request_limit: row.request_limit,
          request_limit_period_seconds: row.request_limit_period_seconds,
          usage_limit: row.usage_limit,
          usage_limit_period_seconds: row.usage_limit_period_seconds,
          updated_at: row.rate_limit_updated_at,
        }
      : null,
  };
}
