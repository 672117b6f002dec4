import { audited } from '../audit/audited.js';
import { changesBetween } from '../audit/changes.js';
import type { SignedInContext } from '../context.js';
import { mustExist } from '../db/must-exist.js';
import { badUserInput, notFound, serviceUnavailable } from '../errors.js';
import { subWorkspace } from '../models/models.service.js';
import { callRecordableBy } from '../policy/index.js';
import type { ModelRow } from '../models/models.table.js';
import { workspaceModelKey } from '../models/models.loaders.js';
import { tokenCounterKey } from './authorize-model-call.js';
import { CounterStoreUnavailable } from './call-counters.js';
import { verifyCallId } from './call-ids.js';
import * as repo from './usage.repository.js';
import { recordUsage } from './usage-recordings.js';

const MAX_TOKENS = 100_000_000;
/** A call's usage is recorded within a day of the call, or not at all. */
const RECORDING_WINDOW_MS = 24 * 3600 * 1000;

export interface RecordedUsage {
  callId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

/** US dollars for the tokens, at the model's price (a fine-tuned model's is its base model's). */
async function priceOf(ctx: SignedInContext, modelId: string, inputTokens: number, outputTokens: number): Promise<number> {
  let model: ModelRow | null = await ctx.loaders.modelById.load(modelId);
  if (model?.base_model_id) model = await ctx.loaders.modelById.load(model.base_model_id);
  const perMillion = (tokens: number, price: number | null | undefined) => (tokens * (price ?? 0)) / 1_000_000;
  return perMillion(inputTokens, model?.input_price_per_million) + perMillion(outputTokens, model?.output_price_per_million);
}

function tokenCount(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_TOKENS) throw badUserInput(field, `must be between 0 and ${MAX_TOKENS}`);
  return value;
}

/**
 * Records the tokens of a call `authorizeModelCall` allowed this key (its temporary keys
 * included), once. The tokens go to the (workspace, model) token window and the price to the
 * workspace's month, in the transaction that records the call (with concurrent calls', see
 * src/usage/usage-recordings.ts): a counter store that is down records nothing, and the proxy may retry.
 */
export async function recordModelUsage(
  ctx: SignedInContext,
  input: { callId: string; inputTokens: number; outputTokens: number },
): Promise<RecordedUsage> {
  const inputTokens = tokenCount('input.inputTokens', input.inputTokens);
  const outputTokens = tokenCount('input.outputTokens', input.outputTokens);
  const key = mustExist(ctx.auth.apiKey, 'the API key of a recordModelUsage request');
  const call = verifyCallId(ctx.services.signer, input.callId);
  if (!call || !callRecordableBy(call, key)) throw notFound('Call');
  if (Date.now() - call.calledAt.getTime() > RECORDING_WINDOW_MS) throw badUserInput('input.callId', 'the call is more than a day old');
  const [cost, rateLimit] = await Promise.all([
    priceOf(ctx, call.modelId, inputTokens, outputTokens),
    ctx.loaders.modelRateLimit.load(workspaceModelKey(call.workspaceId, call.modelId)),
  ]);
  const tokens =
    rateLimit?.usage_limit && rateLimit.usage_limit_period_seconds
      ? {
          key: tokenCounterKey(call.workspaceId, call.modelId),
          limit: rateLimit.usage_limit,
          periodSeconds: rateLimit.usage_limit_period_seconds,
          points: inputTokens + outputTokens,
        }
      : null;
  const usage = {
    call_id: input.callId,
    account_id: key.account_id,
    workspace_id: call.workspaceId,
    model_id: call.modelId,
    api_key_id: key.id,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cost,
    called_at: call.calledAt,
  };
  const outcome = await recordUsage(ctx.sharedReads, { usage, tokens, counters: ctx.counters }).catch((error: unknown) => {
    if (error instanceof CounterStoreUnavailable) throw serviceUnavailable('The model-call counters are unavailable; retry shortly');
    throw error;
  });
  if (!outcome.recorded) throw badUserInput('input.callId', 'the usage of this call is recorded already');
  // A budget reached refuses the workspace's next calls: a revocation, which no replica may undo.
  if (outcome.budgetReached) ctx.consistency.committedWrite = true;
  return { callId: input.callId, model: call.modelId, inputTokens, outputTokens, cost };
}

/** Sets a sub-workspace's monthly budget in US dollars; null clears it. */
export async function setWorkspaceBudget(ctx: SignedInContext, input: { workspaceId: string; monthlyLimit?: number | null }) {
  const workspace = await subWorkspace(ctx, input.workspaceId);
  const limit = input.monthlyLimit ?? null;
  if (limit !== null && (!Number.isFinite(limit) || limit < 0 || limit > 1e11)) {
    throw badUserInput('input.monthlyLimit', 'must be between 0 and 100,000,000,000');
  }
  let before: { monthlyLimit: number } | undefined;
  return audited(
    ctx,
    'setWorkspaceBudget',
    async (trx) => {
      const [stored] = await repo.findBudgetsByWorkspaceIds(trx, [workspace.id]);
      before = stored && { monthlyLimit: stored.monthly_limit };
      if (limit === null) await repo.deleteBudget(trx, workspace.id);
      else await repo.upsertBudget(trx, { workspaceId: workspace.id, accountId: workspace.account_id, monthlyLimit: limit });
      return workspace;
    },
    () => ({
      resourceId: workspace.id,
      changes: changesBetween(before, limit === null ? null : { monthlyLimit: limit }, ['monthlyLimit']),
    }),
  );
}

const MAX_USAGE_RANGE_MS = 366 * 24 * 3600 * 1000;

export function workspaceUsage(ctx: SignedInContext, workspaceId: string, args: { since: Date; until: Date; groupBy: repo.UsageGrouping }) {
  if (args.until.getTime() <= args.since.getTime()) throw badUserInput('until', 'must be after since');
  if (args.until.getTime() - args.since.getTime() > MAX_USAGE_RANGE_MS) throw badUserInput('until', 'the range is at most 366 days');
  return repo.usageOf(ctx.db, workspaceId, args.since, args.until, args.groupBy);
}
