import { ipInAllowlist } from './cidr.js';

export type ModelCallReason =
  | 'ALLOWED'
  | 'KEY_INACTIVE'
  | 'SOURCE_IP_NOT_ALLOWED'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_NOT_AUTHORIZED'
  | 'OUTSIDE_KEY_SCOPE'
  | 'BUDGET_EXCEEDED'
  | 'RATE_LIMITED';

export interface ModelCallFacts {
  key: {
    workspaceId: string;
    modelScope: readonly string[];
    ipAllowlist: readonly string[];
    /** False when the owner is disabled, or no longer a member of the key's workspace. */
    ownerActive: boolean;
  };
  workspace: { kind: 'DEFAULT' | 'SUB'; allModelsOpen: boolean };
  /** Null when no model of that name is visible to the key's account. */
  model: { id: string; fineTunedIn: string | null; supportsInference: boolean } | null;
  /** The workspace's inference authorization for the model, if any row exists. */
  inferenceAuthorized: boolean;
  sourceIp: string | null;
}

/**
 * What a key may call is decided by its workspace alone, then narrowed by the key's own
 * scope and allowlist; the owner's page permissions never enter into it.
 */
export function decideModelCall(facts: ModelCallFacts): ModelCallReason {
  const { key, workspace, model } = facts;
  if (!key.ownerActive) return 'KEY_INACTIVE';
  if (key.ipAllowlist.length > 0 && (facts.sourceIp === null || !ipInAllowlist(facts.sourceIp, key.ipAllowlist))) {
    return 'SOURCE_IP_NOT_ALLOWED';
  }
  if (!model?.supportsInference) return 'MODEL_NOT_FOUND';
  const callableInWorkspace = model.fineTunedIn
    ? model.fineTunedIn === key.workspaceId
    : workspace.kind === 'DEFAULT' || workspace.allModelsOpen || facts.inferenceAuthorized;
  if (!callableInWorkspace) return 'MODEL_NOT_AUTHORIZED';
  if (key.modelScope.length > 0 && !key.modelScope.includes(model.id)) return 'OUTSIDE_KEY_SCOPE';
  return 'ALLOWED';
}

/** What `authorizeModelCall` weighs once a call is allowed: the month's spend, and the tokens of the current window. */
export interface CallLimitFacts {
  budget: { monthlyLimit: number; spent: number } | null;
  tokens: { limit: number; consumed: number; estimated: number } | null;
}

/**
 * Spend comes first: a workspace past its monthly budget calls nothing until the next month or
 * a higher budget. Then tokens: a window already used up, or one the call's own estimate would
 * overrun, refuses. (The request count is consumed atomically by the counter store.)
 */
export function decideCallLimits(facts: CallLimitFacts): 'ALLOWED' | 'BUDGET_EXCEEDED' | 'RATE_LIMITED' {
  const { budget, tokens } = facts;
  if (budget && budget.spent >= budget.monthlyLimit) return 'BUDGET_EXCEEDED';
  if (tokens && (tokens.consumed >= tokens.limit || tokens.consumed + tokens.estimated > tokens.limit)) return 'RATE_LIMITED';
  return 'ALLOWED';
}

/** A call's usage is recorded by the key it was allowed to (its temporary keys act as it): another key's call reads as unknown. */
export const callRecordableBy = (call: { apiKeyId: string }, key: { id: string }) => call.apiKeyId === key.id;
