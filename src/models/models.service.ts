import { randomBytes } from 'node:crypto';
import { audited, auditedDeletionIn } from '../audit/audited.js';
import type { SignedInContext } from '../context.js';
import { badUserInput, notFound } from '../errors.js';
import { modelVisibleTo } from '../policy/index.js';
import type { WorkspaceRow } from '../workspaces/workspaces.table.js';
import * as repo from './models.repository.js';
import { workspaceModelKey } from './models.loaders.js';
import type { ModelRow } from './models.table.js';
import { mustExist } from '../db/must-exist.js';

/** Model authorization, rate limits and fine-tuning. Callers are already authorized (shield). */

/** The default workspace calls every standard model: restricting it is refused, even for the root. */
async function subWorkspace(ctx: SignedInContext, workspaceId: string): Promise<WorkspaceRow> {
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
  return audited(
    ctx,
    'setModelAuthorization',
    (trx) => repo.upsertAuthorization(trx, { accountId: workspace.account_id, workspaceId: workspace.id, modelId: model.id, flags }),
    () => ({ resourceId: workspace.id }),
  );
}

export async function setAllModelsAccess(ctx: SignedInContext, input: { workspaceId: string; mode: 'OPEN' | 'CLOSE' }) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  return audited(
    ctx,
    'setAllModelsAccess',
    (trx) => repo.setAllModelsOpen(trx, workspace.id, input.mode === 'OPEN'),
    () => ({ resourceId: workspace.id }),
  );
}

function limitPair(field: string, limit: number | null | undefined, period: number | null | undefined) {
  if ((limit == null) !== (period == null)) throw badUserInput(`input.${field}`, `give ${field} together with its period`);
  if (limit != null && limit <= 0) throw badUserInput(`input.${field}`, 'must be positive');
  if (period != null && (period <= 0 || period > 31_536_000)) {
    throw badUserInput(`input.${field}PeriodSeconds`, 'must be between 1 second and a year');
  }
  return { limit: limit ?? null, period: period ?? null };
}

export async function setModelRateLimit(
  ctx: SignedInContext,
  input: {
    workspaceId: string;
    model: string;
    requestLimit?: number | null;
    requestLimitPeriodSeconds?: number | null;
    usageLimit?: number | null;
    usageLimitPeriodSeconds?: number | null;
  },
) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  const model = await visibleModel(ctx, input.model, 'input.model');
  if (model.workspace_id !== null && model.workspace_id !== workspace.id) throw notFound('Model');
  const requests = limitPair('requestLimit', input.requestLimit, input.requestLimitPeriodSeconds);
  const usage = limitPair('usageLimit', input.usageLimit, input.usageLimitPeriodSeconds);
  if (requests.limit === null && usage.limit === null) {
    throw badUserInput('input', 'give a request limit, a usage limit, or both (deleteModelRateLimit removes one)');
  }
  return audited(
    ctx,
    'setModelRateLimit',
    (trx) =>
      repo.upsertRateLimit(trx, {
        workspace_id: workspace.id,
        model_id: model.id,
        account_id: workspace.account_id,
        request_limit: requests.limit,
        request_limit_period_seconds: requests.period,
        usage_limit: usage.limit,
        usage_limit_period_seconds: usage.period,
      }),
    () => ({ resourceId: workspace.id }),
  );
}

export async function deleteModelRateLimit(ctx: SignedInContext, input: { workspaceId: string; model: string }) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  const model = await visibleModel(ctx, input.model, 'input.model');
  return auditedDeletionIn(ctx, 'deleteModelRateLimit', workspace, 'Rate limit', (trx) =>
    repo.deleteRateLimit(trx, workspace.id, model.id),
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
    (model) => ({ resourceId: model.id }),
  );
}
