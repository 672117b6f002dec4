import { randomBytes } from 'node:crypto';
import { insertAuditEvent } from '../audit/audit.repository.js';
import { audited, auditActor, auditedDeletionIn, successEvent } from '../audit/audited.js';
import type { AuditChange } from '../audit/audit.table.js';
import { changesBetween } from '../audit/changes.js';
import type { DB } from '../db/database.js';
import type { SignedInContext } from '../context.js';
import { badUserInput, conflict, isApiError, notFound } from '../errors.js';
import { modelVisibleTo } from '../policy/index.js';
import type { WorkspaceRow } from '../workspaces/workspaces.table.js';
import * as repo from './models.repository.js';
import { workspaceModelKey } from './models.loaders.js';
import type { ModelAuthorizationRow, ModelRateLimitRow, ModelRow } from './models.table.js';
import { mustExist } from '../db/must-exist.js';

/** Model authorization, rate limits and fine-tuning. Callers are already authorized (shield). */

/** The default workspace calls every standard model: restricting it is refused, even for the root. */
export async function subWorkspace(ctx: SignedInContext, workspaceId: string): Promise<WorkspaceRow> {
  const workspace = mustExist(await ctx.loaders.workspaceById.load(workspaceId), 'workspace');
  if (workspace.kind === 'DEFAULT') {
    throw badUserInput('input.workspaceId', 'the default workspace calls every standard model and cannot be restricted or rate-limited');
  }
  return workspace;
}

/** A model the account can see: a standard one, or one fine-tuned in one of its workspaces. */
export async function visibleModel(ctx: SignedInContext, id: string, field: string): Promise<ModelRow> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw badUserInput(field, 'is not a model name');
  const model = await ctx.loaders.modelById.load(id);
  if (!model || !modelVisibleTo(ctx.auth.principal.account_id, model)) {
    throw notFound('Model');
  }
  return model;
}

/** A model's authorization or rate limit in a workspace: which model, then its values (src/audit/changes.ts). */
const MODEL_KEY = ['model'];
const AUTHORIZATION_FIELDS = ['inference', 'finetune', 'deploy'];
const RATE_LIMIT_FIELDS = ['requestLimit', 'requestLimitPeriodSeconds', 'usageLimit', 'usageLimitPeriodSeconds'];

/** The stored authorizations of these models in the workspace, by model (one statement). */
async function authorizationsOf(trx: DB, workspaceId: string, modelIds: readonly string[]) {
  const rows = await repo.findByWorkspaceModel<ModelAuthorizationRow>(
    trx,
    'model_authorization',
    modelIds.map((modelId) => [workspaceId, modelId] as const),
  );
  return new Map(rows.map((row) => [row.model_id, row]));
}

type Flags = { inference?: boolean | null; finetune?: boolean | null; deploy?: boolean | null };

export async function setModelAuthorization(ctx: SignedInContext, input: { workspaceId: string; model: string } & Flags) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  const model = await visibleModel(ctx, input.model, 'input.model');
  if (model.workspace_id !== null) {
    throw badUserInput('input.model', 'fine-tuned models need no authorization in the workspace that owns them');
  }
  const flags: Partial<Record<'inference' | 'finetune' | 'deploy', boolean>> = {};
  const supported = { inference: model.supports_inference, finetune: model.supports_finetune, deploy: model.supports_deploy };
  for (const capability of ['inference', 'finetune', 'deploy'] as const) {
    const value = input[capability];
    if (value == null) continue;
    if (value && !supported[capability]) throw badUserInput(`input.${capability}`, `${model.id} does not support ${capability}`);
    flags[capability] = value;
  }
  if (Object.keys(flags).length === 0) throw badUserInput('input', 'give at least one of inference, finetune, deploy');
  let before: ModelAuthorizationRow | undefined;
  return audited(
    ctx,
    'setModelAuthorization',
    async (trx) => {
      before = (await authorizationsOf(trx, workspace.id, [model.id])).get(model.id);
      return repo.upsertAuthorization(trx, { accountId: workspace.account_id, workspaceId: workspace.id, modelId: model.id, flags });
    },
    (after) => ({ resourceId: workspace.id, changes: changesBetween(before, after, AUTHORIZATION_FIELDS, MODEL_KEY) }),
  );
}

export async function setAllModelsAccess(ctx: SignedInContext, input: { workspaceId: string; mode: 'OPEN' | 'CLOSE' }) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  return audited(
    ctx,
    'setAllModelsAccess',
    (trx) => repo.setAllModelsOpen(trx, workspace.id, input.mode === 'OPEN'),
    (after) => ({ resourceId: workspace.id, changes: changesBetween(workspace, after, ['allModelsOpen']) }),
  );
}

type Capability = 'inference' | 'finetune' | 'deploy';
const CAPABILITIES: readonly Capability[] = ['inference', 'finetune', 'deploy'];
type PermissionChange = 'OPEN' | 'CLOSE' | 'KEEP';
export const MAX_MODEL_PERMISSION_CHANGES = 20;

/**
 * Opens, closes or keeps capabilities of up to 20 models in a sub-workspace, all or nothing:
 * every change is validated (as `setModelAuthorization` validates one) before any is applied,
 * then all are applied in one transaction with one audit event per change.
 */
export async function updateModelPermissions(
  ctx: SignedInContext,
  input: { workspaceId: string; changes: ReadonlyArray<{ model: string } & Partial<Record<Capability, PermissionChange | null>>> },
) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  const { changes } = input;
  if (changes.length < 1 || changes.length > MAX_MODEL_PERMISSION_CHANGES) {
    throw badUserInput('input.changes', `give 1 to ${MAX_MODEL_PERMISSION_CHANGES} changes (got ${changes.length})`);
  }
  const seen = new Set<string>();
  changes.forEach((change, i) => {
    if (seen.has(change.model)) throw badUserInput(`input.changes[${i}].model`, `${change.model} appears more than once`);
    seen.add(change.model);
  });
  // One statement for every model (the loader batches); the loop below reads them from its cache.
  await ctx.loaders.modelById.loadMany(changes.map((change) => change.model));
  const validated: Array<{ model: ModelRow; flags: Partial<Record<Capability, boolean>> }> = [];
  for (const [i, change] of changes.entries()) {
    const model = await visibleModel(ctx, change.model, `input.changes[${i}].model`).catch((error: unknown) => {
      // Which change names an unknown model (the same answer for another account's model).
      throw isApiError(error) && error.extensions.code === 'NOT_FOUND' ? notFound(`Model of input.changes[${i}]`) : error;
    });
    if (model.workspace_id !== null) {
      throw badUserInput(`input.changes[${i}].model`, 'fine-tuned models need no authorization in the workspace that owns them');
    }
    const supported = { inference: model.supports_inference, finetune: model.supports_finetune, deploy: model.supports_deploy };
    const flags: Partial<Record<Capability, boolean>> = {};
    for (const capability of CAPABILITIES) {
      const value = change[capability] ?? 'KEEP';
      if (value === 'KEEP') continue;
      if (value === 'OPEN' && !supported[capability]) {
        throw badUserInput(`input.changes[${i}].${capability}`, `${model.id} does not support ${capability}`);
      }
      flags[capability] = value === 'OPEN';
    }
    if (Object.keys(flags).length === 0) {
      throw badUserInput(`input.changes[${i}]`, 'changes nothing: give OPEN or CLOSE for at least one of inference, finetune, deploy');
    }
    validated.push({ model, flags });
  }
  // A fixed order (by model) takes the rows' locks in the same order as any concurrent batch.
  validated.sort((a, b) => (a.model.id < b.model.id ? -1 : a.model.id > b.model.id ? 1 : 0));
  let lastChanges: AuditChange[] = [];
  return audited(
    ctx,
    'updateModelPermissions',
    async (trx) => {
      const stored = await authorizationsOf(
        trx,
        workspace.id,
        validated.map(({ model }) => model.id),
      );
      for (const [i, { model, flags }] of validated.entries()) {
        const after = await repo.upsertAuthorization(trx, {
          accountId: workspace.account_id,
          workspaceId: workspace.id,
          modelId: model.id,
          flags,
        });
        const changes = changesBetween(stored.get(model.id), after, AUTHORIZATION_FIELDS, MODEL_KEY);
        // `audited` writes the last change's event; the others get theirs here, in the same transaction.
        if (i < validated.length - 1) {
          await insertAuditEvent(trx, successEvent(ctx, auditActor(ctx.auth), 'updateModelPermissions', workspace.id, changes));
        } else lastChanges = changes;
      }
      return workspace;
    },
    () => ({ resourceId: workspace.id, changes: lastChanges }),
  );
}

const YEAR_SECONDS = 31_536_000;

type RateLimitInput = {
  workspaceId: string;
  model: string;
  requestLimit?: number | null;
  requestLimitPeriodSeconds?: number | null;
  usageLimit?: number | null;
  usageLimitPeriodSeconds?: number | null;
};

const PAIRS = [
  {
    label: 'request',
    limit: 'requestLimit',
    period: 'requestLimitPeriodSeconds',
    limitColumn: 'request_limit',
    periodColumn: 'request_limit_period_seconds',
  },
  {
    label: 'usage',
    limit: 'usageLimit',
    period: 'usageLimitPeriodSeconds',
    limitColumn: 'usage_limit',
    periodColumn: 'usage_limit_period_seconds',
  },
] as const;

type Limits = Pick<ModelRateLimitRow, 'request_limit' | 'request_limit_period_seconds' | 'usage_limit' | 'usage_limit_period_seconds'>;

/** The values given (not absent) must be in range, whatever is stored. */
function checkGivenLimits(input: RateLimitInput) {
  for (const pair of PAIRS) {
    const limit = input[pair.limit];
    const period = input[pair.period];
    if (limit != null && limit <= 0) throw badUserInput(`input.${pair.limit}`, 'must be positive');
    if (period != null && (period <= 0 || period > YEAR_SECONDS)) {
      throw badUserInput(`input.${pair.period}`, 'must be between 1 second and a year');
    }
  }
  if (PAIRS.every((pair) => input[pair.limit] === undefined && input[pair.period] === undefined)) {
    throw badUserInput('input', 'give at least one limit or period to set (a number) or clear (null)');
  }
}

/**
 * Merges the input into the stored limits: absent keeps, null clears, a number sets. Afterwards
 * each pair is both set or both null (refused otherwise, naming the side left empty), and at least
 * one pair is set (refused otherwise: deleteModelRateLimit removes the whole rate limit).
 */
function mergeLimits(stored: Limits | undefined, input: RateLimitInput): Limits {
  const merged: Limits = {
    request_limit: stored?.request_limit ?? null,
    request_limit_period_seconds: stored?.request_limit_period_seconds ?? null,
    usage_limit: stored?.usage_limit ?? null,
    usage_limit_period_seconds: stored?.usage_limit_period_seconds ?? null,
  };
  for (const pair of PAIRS) {
    const limit = input[pair.limit];
    const period = input[pair.period];
    if (limit !== undefined) merged[pair.limitColumn] = limit;
    if (period !== undefined) merged[pair.periodColumn] = period;
    const limitSet = merged[pair.limitColumn] !== null;
    const periodSet = merged[pair.periodColumn] !== null;
    if (limitSet !== periodSet) {
      const [empty, other] = limitSet ? [pair.period, pair.limit] : [pair.limit, pair.period];
      const why = input[empty] === null ? 'is cleared' : stored ? 'is not stored' : 'is not given';
      throw badUserInput(
        `input.${empty}`,
        `${why} while ${other} is set: give both sides of the ${pair.label} limit, or clear both with null`,
      );
    }
  }
  if (merged.request_limit === null && merged.usage_limit === null) {
    throw badUserInput(
      'input',
      'this would leave no limit: keep a request limit or a usage limit (deleteModelRateLimit removes the rate limit)',
    );
  }
  return merged;
}

/** A merge that met a row inserted concurrently reads it again; this many times at most. */
const RATE_LIMIT_MERGE_ATTEMPTS = 3;

/**
 * Merges limits into a model's rate limit in a sub-workspace (see `mergeLimits`). The stored row
 * is read `for update`, so concurrent merges apply one after the other and lose nothing; when
 * there is no row yet, a concurrent first insert makes ours insert nothing, and we merge again
 * into the row it stored.
 */
export async function setModelRateLimit(ctx: SignedInContext, input: RateLimitInput) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  const model = await visibleModel(ctx, input.model, 'input.model');
  if (model.workspace_id !== null && model.workspace_id !== workspace.id) throw notFound('Model');
  checkGivenLimits(input);
  let before: ModelRateLimitRow | undefined;
  return audited(
    ctx,
    'setModelRateLimit',
    async (trx) => {
      for (let attempt = 0; attempt < RATE_LIMIT_MERGE_ATTEMPTS; attempt++) {
        const stored = await repo.findRateLimitForUpdate(trx, workspace.id, model.id);
        before = stored;
        const limits = mergeLimits(stored, input);
        const row = { workspace_id: workspace.id, model_id: model.id, ...limits };
        if (stored) return repo.updateRateLimit(trx, row);
        const inserted = await repo.insertRateLimitIfAbsent(trx, { ...row, account_id: workspace.account_id });
        if (inserted) return inserted;
      }
      throw conflict('the rate limit kept changing while it was being set; try again');
    },
    (after) => ({ resourceId: workspace.id, changes: changesBetween(before, after, RATE_LIMIT_FIELDS, MODEL_KEY) }),
  );
}

export async function deleteModelRateLimit(ctx: SignedInContext, input: { workspaceId: string; model: string }) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  const model = await visibleModel(ctx, input.model, 'input.model');
  return auditedDeletionIn(
    ctx,
    'deleteModelRateLimit',
    workspace,
    'Rate limit',
    (trx) => repo.deleteRateLimit(trx, workspace.id, model.id),
    { read: (trx) => repo.findRateLimitForUpdate(trx, workspace.id, model.id), keys: MODEL_KEY, fields: RATE_LIMIT_FIELDS },
  );
}

export async function createFineTunedModel(ctx: SignedInContext, input: { workspaceId: string; baseModel: string; suffix: string }) {
  const workspace = mustExist(await ctx.loaders.workspaceById.load(input.workspaceId), 'workspace');
  const base = await visibleModel(ctx, input.baseModel, 'input.baseModel');
  if (base.workspace_id !== null || !base.supports_finetune) {
    throw badUserInput('input.baseModel', `${base.id} cannot be fine-tuned`);
  }
  if (workspace.kind === 'SUB') {
    const authorization = await ctx.loaders.modelAuthorization.load(workspaceModelKey(workspace.id, base.id));
    if (!authorization?.finetune) throw badUserInput('input.baseModel', `${base.id} is not authorized for fine-tuning in this workspace`);
  }
  if (!/^[a-z0-9-]{1,32}$/.test(input.suffix)) throw badUserInput('input.suffix', 'must be 1-32 lowercase letters, digits and hyphens');
  // A random tail keeps names unique without revealing other accounts' models through a conflict.
  const id = `ft-${base.id}-${input.suffix}-${randomBytes(4).toString('hex')}`;
  return audited(
    ctx,
    'createFineTunedModel',
    (trx) =>
      repo.insertFineTunedModel(trx, {
        id,
        display_name: `${base.display_name} (${input.suffix})`,
        account_id: workspace.account_id,
        workspace_id: workspace.id,
        base_model_id: base.id,
      }),
    (model) => ({ resourceId: model.id, changes: changesBetween(null, model, ['displayName', 'baseModel', 'workspace']) }),
  );
}
