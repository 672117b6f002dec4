import { isIP } from 'node:net';
import type { RequestContext } from '../context.js';
import { badUserInput, unauthenticated } from '../errors.js';
import { decideModelCall, modelVisibleTo, type ModelCallReason } from '../policy/index.js';
import type { WorkspaceRow } from '../workspaces/workspaces.table.js';
import { acceptApiKey, foundKeyStatus } from '../auth/authentication.js';
import { plainAddress } from '../http/client-address.js';
import { mustExist } from '../db/must-exist.js';
import { findModelCall } from './models.repository.js';
import type { ModelRateLimitRow } from './models.table.js';

export interface ModelAccessResult {
  allowed: boolean;
  reason: ModelCallReason;
  workspace: WorkspaceRow;
  rateLimit: ModelRateLimitRow | null;
  /** For `authorizeModelCall`: the key, and the workspace's budget and spend. */
  apiKeyId: string;
  budget: { monthlyLimit: number; spent: number } | null;
}

/**
 * The inference proxy's question: may the request's API key call `modelId` from `sourceIp`?
 * `sourceIp` is believed only from a trusted proxy: anyone else holding a key could claim an
 * allowed address, so their own address is checked instead.
 * One statement loads the key (authenticating the request) and every fact; the policy decides.
 */
export async function modelAccess(ctx: RequestContext, modelId: string, sourceIp: string | null | undefined): Promise<ModelAccessResult> {
  if (sourceIp != null && isIP(sourceIp) === 0) throw badUserInput('sourceIp', 'is not an IPv4 or IPv6 address');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(modelId)) throw badUserInput('model', 'is not a model name');
  // Its shield rule admits only requests that present an API key.
  const found = await findModelCall(ctx.sharedReads, mustExist(ctx.presentedApiKey, 'the API key of a modelAccess request'), modelId);
  if (ctx.apiKeyPending) acceptApiKey(ctx, found);
  if (!found || found.owner.status === 'DELETED') throw ctx.authError ?? unauthenticated('Invalid API key');
  // A disabled or expired key authenticates nothing. One whose owner lost standing authenticates
  // nothing either, but the proxy is told why (KEY_INACTIVE), as it was before keys had a state.
  const status = foundKeyStatus(found);
  if (status === 'DISABLED' || status === 'EXPIRED') throw ctx.authError ?? unauthenticated('The API key is not active');
  const { key, workspace, model, rateLimit } = found;
  const visible = model && modelVisibleTo(key.account_id, model) ? model : null;
  const reason = decideModelCall({
    key: {
      workspaceId: key.workspace_id,
      modelScope: key.model_scope,
      ipAllowlist: key.ip_allowlist,
      ownerActive: status === 'ACTIVE',
    },
    workspace: { kind: workspace.kind, allModelsOpen: workspace.all_models_open },
    model: visible && { id: visible.id, fineTunedIn: visible.workspace_id, supportsInference: visible.supports_inference },
    inferenceAuthorized: found.inferenceAuthorized,
    sourceIp: ctx.viaTrustedProxy && sourceIp != null ? plainAddress(sourceIp) : ctx.remoteAddress,
  });
  const allowed = reason === 'ALLOWED';
  const sub = workspace.kind === 'SUB';
  return {
    allowed,
    reason,
    workspace,
    rateLimit: allowed && sub ? rateLimit : null,
    apiKeyId: key.id,
    budget: sub ? found.budget : null,
  };
}
