import type { RequestContext } from '../context.js';
import { badUserInput, serviceUnavailable } from '../errors.js';
import { modelAccess } from '../models/model-access.js';
import { decideCallLimits, type ModelCallReason } from '../policy/index.js';
import { issueCallId } from './call-ids.js';
import { CounterStoreUnavailable, type WindowState } from './call-counters.js';

export interface ModelCallAuthorizationResult {
  allowed: boolean;
  reason: ModelCallReason;
  callId: string | null;
  retryAfterSeconds: number | null;
  rateLimit: { limit: number; remaining: number; resetAt: Date } | null;
}

const MAX_ESTIMATED_TOKENS = 10_000_000;

/** The counters of a (workspace, model): requests and tokens. */
export const requestCounterKey = (workspaceId: string, modelId: string) => `requests:${workspaceId}:${modelId}`;
export const tokenCounterKey = (workspaceId: string, modelId: string) => `tokens:${workspaceId}:${modelId}`;

const secondsUntil = (at: Date) => Math.max(1, Math.ceil((at.getTime() - Date.now()) / 1000));

function startOfNextMonth(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/** The counter store is down: nothing is allowed by default. */
async function counting<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CounterStoreUnavailable) throw serviceUnavailable('The model-call counters are unavailable; retry shortly');
    throw error;
  }
}

/**
 * The enforcement point of inference proxies: `modelAccess`'s decision, then the workspace's
 * budget and token window, then one request consumed from the (workspace, model) window in one
 * atomic step of the counter store. Refused calls consume nothing but that request.
 */
export async function authorizeModelCall(
  ctx: RequestContext,
  input: { model: string; sourceIp?: string | null; estimatedTokens?: number | null },
): Promise<ModelCallAuthorizationResult> {
  const estimated = input.estimatedTokens ?? 0;
  if (!Number.isInteger(estimated) || estimated < 0 || estimated > MAX_ESTIMATED_TOKENS) {
    throw badUserInput('input.estimatedTokens', `must be between 0 and ${MAX_ESTIMATED_TOKENS}`);
  }
  const access = await modelAccess(ctx, input.model, input.sourceIp);
  const refused = (reason: ModelCallReason, retryAfterSeconds: number | null = null, window: WindowState | null = null, limit = 0) => ({
    allowed: false,
    reason,
    callId: null,
    retryAfterSeconds,
    rateLimit: window ? { limit, remaining: window.remaining, resetAt: window.resetAt } : null,
  });
  if (!access.allowed) return refused(access.reason);

  const { workspace, rateLimit } = access;
  const modelId = input.model;
  const tokenLimit = rateLimit?.usage_limit && rateLimit.usage_limit_period_seconds ? rateLimit : null;
  const tokens = tokenLimit
    ? await counting(() =>
        ctx.counters.peek(tokenCounterKey(workspace.id, modelId), tokenLimit.usage_limit ?? 0, tokenLimit.usage_limit_period_seconds ?? 0),
      )
    : null;
  const limits = decideCallLimits({
    budget: access.budget,
    tokens: tokens && tokenLimit ? { limit: tokenLimit.usage_limit ?? 0, consumed: tokens.consumed, estimated } : null,
  });
  if (limits === 'BUDGET_EXCEEDED') return refused(limits, secondsUntil(startOfNextMonth()));
  if (limits === 'RATE_LIMITED' && tokens) return refused(limits, secondsUntil(tokens.resetAt));

  let window: WindowState | null = null;
  const requestLimit = rateLimit?.request_limit ?? null;
  if (requestLimit !== null && rateLimit?.request_limit_period_seconds) {
    const period = rateLimit.request_limit_period_seconds;
    window = await counting(() => ctx.counters.consume(requestCounterKey(workspace.id, modelId), requestLimit, period));
    if (!window.allowed) return refused('RATE_LIMITED', secondsUntil(window.resetAt), window, requestLimit);
  }
  const callId = issueCallId(ctx.services.signer, { apiKeyId: access.apiKeyId, workspaceId: workspace.id, modelId, calledAt: new Date() });
  return {
    allowed: true,
    reason: 'ALLOWED',
    callId,
    retryAfterSeconds: null,
    rateLimit: window && requestLimit !== null ? { limit: requestLimit, remaining: window.remaining, resetAt: window.resetAt } : null,
  };
}
