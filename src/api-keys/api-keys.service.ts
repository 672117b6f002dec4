import { takeSlot } from '../db/slots.js';
import { newApiKeySecret } from '../auth/credential-secrets.js';
import { audited } from '../audit/audited.js';
import { type AuditField, changesBetween } from '../audit/changes.js';
import type { RequestContext, SignedInContext } from '../context.js';
import type { DB } from '../db/database.js';
import { checkViolation } from '../db/errors.js';
import { badUserInput, conflict, notFound, unauthenticated } from '../errors.js';
import { lockPrincipal } from '../identity/identity.repository.js';
import { workspaceModelKey } from '../models/models.loaders.js';
import { visibleModel } from '../models/models.service.js';
import {
  apiKeyStatus,
  inCallersAccount,
  keyOwnerInGoodStanding,
  mayOwnApiKeyIn,
  parseCidr,
  type ApiKeyStatus,
  type Page,
  type PolicyName,
} from '../policy/index.js';
import { membershipKey } from '../workspaces/workspaces.loaders.js';
import * as validate from '../validation.js';
import * as repo from './api-keys.repository.js';
import type { ApiKeyRow } from './api-keys.table.js';
import { mustExist } from '../db/must-exist.js';

export interface CreatedApiKeyResult {
  apiKey: ApiKeyRow;
  secret: string;
}

export interface RotatedApiKeyResult extends CreatedApiKeyResult {
  previousSecretExpiresAt: Date | null;
}

export interface TemporaryApiKeyResult {
  secret: string;
  expiresAt: Date;
  apiKeyId: string;
}

/** What a key's events record (src/audit/changes.ts): its settings, never its secret. */
const KEY_STATUS: AuditField<ApiKeyRow> = ['status', (key) => (key.enabled ? 'ENABLED' : 'DISABLED')];
const KEY_PREFIX: AuditField<ApiKeyRow> = ['prefix', (key) => key.secret_prefix];
const KEY_SETTINGS: ReadonlyArray<AuditField<ApiKeyRow>> = ['description', 'modelScope', 'ipAllowlist', 'expiresAt'];
const KEY_FIELDS: ReadonlyArray<AuditField<ApiKeyRow>> = ['workspace', 'owner', KEY_PREFIX, ...KEY_SETTINGS, KEY_STATUS];

/** A live key as the transaction sees it, before it changes it. */
const keyBefore = async (trx: DB, id: string) => (await repo.findLiveApiKeysByIds(trx, [id]))[0];

const MAX_GRACE_SECONDS = 86_400;
const MAX_TEMPORARY_SECONDS = 1_800;

const KEY_LIMIT = 'A workspace has at most 20 API keys';
const OWNER_GONE = 'The session is no longer valid: the principal is disabled or deleted';

/** Each scoped model must already be callable in the workspace (docs/domain.md). */
async function validateModelScope(ctx: SignedInContext, workspaceId: string, models: readonly string[]): Promise<string[]> {
  const unique = [...new Set(models)];
  if (unique.length > 30) throw badUserInput('input.modelScope', 'must list at most 30 models');
  const workspace = mustExist(await ctx.loaders.workspaceById.load(workspaceId), 'workspace');
  await Promise.all(
    unique.map(async (id, index) => {
      const field = `input.modelScope[${index}]`;
      const model = await visibleModel(ctx, id, field).catch(() => {
        throw badUserInput(field, `no model named ${id}`);
      });
      const authorization = await ctx.loaders.modelAuthorization.load(workspaceModelKey(workspaceId, model.id));
      const callable = model.workspace_id
        ? model.workspace_id === workspaceId
        : workspace.kind === 'DEFAULT' || workspace.all_models_open || authorization?.inference === true;
      if (!callable) throw badUserInput(field, `${model.id} is not callable in this workspace`);
    }),
  );
  return unique;
}

function validateAllowlist(entries: readonly string[]): string[] {
  if (entries.length > 20) throw badUserInput('input.ipAllowlist', 'must list at most 20 CIDRs');
  return [
    ...new Set(
      entries.map((entry, index) => {
        const cidr = parseCidr(entry);
        if (!cidr) throw badUserInput(`input.ipAllowlist[${index}]`, 'is not an IPv4 or IPv6 address or CIDR');
        return `${cidr.address}/${cidr.prefix}`;
      }),
    ),
  ];
}

/** An expiry must lie ahead (and within what PostgreSQL stores); null: never. */
function validateExpiry(expiresAt: Date | null | undefined): Date | null {
  if (expiresAt == null) return null;
  if (expiresAt.getTime() <= Date.now()) throw badUserInput('input.expiresAt', 'must be in the future');
  if (expiresAt.getUTCFullYear() > 9999) throw badUserInput('input.expiresAt', 'must be before the year 10000');
  return expiresAt;
}

/**
 * The key's owner: the caller, or (the policy allowed the caller `create_api_key_for_member`) a
 * principal of the caller's account whom the policy lets own a key in the workspace.
 */
async function keyOwner(ctx: SignedInContext, workspaceId: string, ownerId: string | null | undefined) {
  const caller = ctx.auth.principal;
  if (!ownerId || ownerId === caller.id) return caller;
  const owner = await ctx.loaders.principalById.load(ownerId);
  if (!owner || owner.status === 'DELETED' || !inCallersAccount(caller.account_id, owner.account_id)) throw notFound('Principal');
  const membership = await ctx.loaders.membership.load(membershipKey(workspaceId, owner.id));
  if (!mayOwnApiKeyIn({ status: owner.status, pages: membership ? new Set(membership.pages as Page[]) : null })) {
    throw badUserInput('input.ownerId', 'must be an enabled member of the workspace holding the API_KEY page permission');
  }
  return owner;
}

/** What a key's creator or editor sets; absent: the default (creation) or unchanged (update), null: cleared. */
interface ApiKeySettings {
  description?: string | null;
  modelScope?: readonly string[] | null;
  ipAllowlist?: readonly string[] | null;
  expiresAt?: Date | null;
}

export async function createApiKey(
  ctx: SignedInContext,
  input: ApiKeySettings & { workspaceId: string; ownerId?: string | null },
): Promise<CreatedApiKeyResult> {
  const description = validate.description('input.description', input.description);
  const ipAllowlist = validateAllowlist(input.ipAllowlist ?? []);
  const expiresAt = validateExpiry(input.expiresAt);
  const modelScope = await validateModelScope(ctx, input.workspaceId, input.modelScope ?? []);
  const owner = await keyOwner(ctx, input.workspaceId, input.ownerId);
  const { secret, prefix, hash } = newApiKeySecret();
  try {
    const apiKey = await audited(
      ctx,
      'createApiKey',
      async (trx) => {
        // An owner disabled or deleted since the request began gets no key.
        if ((await lockPrincipal(trx, owner.id))?.status !== 'ACTIVE') {
          throw owner.id === ctx.auth.principal.id ? unauthenticated(OWNER_GONE) : notFound('Principal');
        }
        if (!(await takeSlot(trx, 'workspace', input.workspaceId))) throw conflict(KEY_LIMIT);
        return repo.insertApiKey(trx, {
          account_id: owner.account_id,
          workspace_id: input.workspaceId,
          owner_id: owner.id,
          description,
          secret_prefix: prefix,
          secret_hash: hash,
          model_scope: modelScope,
          ip_allowlist: ipAllowlist,
          expires_at: expiresAt,
        });
      },
      (key) => ({ resourceId: key.id, changes: changesBetween(null, key, KEY_FIELDS) }),
    );
    return { apiKey, secret };
  } catch (error) {
    if (checkViolation(error) === 'workspace_api_key_count_check') throw conflict(KEY_LIMIT);
    throw error;
  }
}

export async function deleteApiKey(ctx: SignedInContext, id: string): Promise<ApiKeyRow> {
  return audited(
    ctx,
    'deleteApiKey',
    async (trx) => {
      const key = await repo.deleteApiKey(trx, id);
      // Lost a race with another deletion: the key is gone either way.
      if (!key) throw badUserInput('id', 'the API key is already deleted');
      return key;
    },
    (key) => ({ resourceId: key.id, changes: changesBetween(key, null, KEY_FIELDS) }),
  );
}

/** The key a lifecycle mutation names: its rule located it in the caller's account; a concurrent deletion reads as missing. */
async function liveKey(ctx: SignedInContext, id: string): Promise<ApiKeyRow> {
  const key = await ctx.loaders.apiKeyById.load(id);
  if (!key) throw notFound('API key');
  return key;
}

/** Absent fields stay as they are; null clears (an empty description, scope or allowlist; no expiry). */
export async function updateApiKey(ctx: SignedInContext, input: ApiKeySettings & { id: string }): Promise<ApiKeyRow> {
  const key = await liveKey(ctx, input.id);
  const changes: repo.ApiKeyChanges = {};
  if (input.description !== undefined) changes.description = validate.description('input.description', input.description);
  if (input.ipAllowlist !== undefined) changes.ip_allowlist = validateAllowlist(input.ipAllowlist ?? []);
  if (input.expiresAt !== undefined) changes.expires_at = validateExpiry(input.expiresAt);
  if (input.modelScope !== undefined) changes.model_scope = await validateModelScope(ctx, key.workspace_id, input.modelScope ?? []);
  if (Object.keys(changes).length === 0)
    throw badUserInput('input', 'give at least one of description, modelScope, ipAllowlist, expiresAt');
  return audited(
    ctx,
    'updateApiKey',
    async (trx) => (await repo.updateApiKey(trx, key.id, changes)) ?? Promise.reject(notFound('API key')),
    (updated) => ({ resourceId: updated.id, changes: changesBetween(key, updated, KEY_SETTINGS) }),
  );
}

export function setApiKeyStatus(ctx: SignedInContext, input: { id: string; status: 'ENABLED' | 'DISABLED' }): Promise<ApiKeyRow> {
  const enabled = input.status === 'ENABLED';
  let before: ApiKeyRow | undefined;
  return audited(
    ctx,
    enabled ? 'enableApiKey' : 'disableApiKey',
    async (trx) => {
      before = await keyBefore(trx, input.id);
      return (await repo.updateApiKey(trx, input.id, { enabled })) ?? Promise.reject(notFound('API key'));
    },
    (updated) => ({ resourceId: updated.id, changes: changesBetween(before, updated, [KEY_STATUS]) }),
  );
}

/** A new secret; the replaced one works for the grace period (a secret replaced before stops at once). */
export async function rotateApiKey(
  ctx: SignedInContext,
  input: { id: string; gracePeriodSeconds?: number | null },
): Promise<RotatedApiKeyResult> {
  const grace = input.gracePeriodSeconds ?? 0;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    throw badUserInput('input.gracePeriodSeconds', `must be between 0 and ${MAX_GRACE_SECONDS} seconds (24 h)`);
  }
  const { secret, prefix, hash } = newApiKeySecret();
  let before: ApiKeyRow | undefined;
  const apiKey = await audited(
    ctx,
    'rotateApiKey',
    async (trx) => {
      before = await keyBefore(trx, input.id);
      return (await repo.rotateApiKeySecret(trx, input.id, { prefix, hash }, grace)) ?? Promise.reject(notFound('API key'));
    },
    (rotated) => ({ resourceId: rotated.id, changes: changesBetween(before, rotated, [KEY_PREFIX, 'previousSecretExpiresAt']) }),
  );
  return { apiKey, secret, previousSecretExpiresAt: apiKey.previous_secret_expires_at };
}

/**
 * A temporary key derived from the request's own API key. It names the generation of the secret
 * the request presented, so that one made with a secret in its grace period dies with that secret,
 * and it never outlives its parent's expiry.
 */
export async function createTemporaryApiKey(ctx: SignedInContext, input: { expiresInSeconds: number }): Promise<TemporaryApiKeyResult> {
  const seconds = input.expiresInSeconds;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TEMPORARY_SECONDS) {
    throw badUserInput('input.expiresInSeconds', `must be between 1 and ${MAX_TEMPORARY_SECONDS} seconds`);
  }
  const parent = mustExist(ctx.auth.apiKey, 'the API key of a createTemporaryApiKey request');
  const presented = ctx.presentedApiKey;
  const withPreviousSecret = presented !== null && 'secretHash' in presented && presented.secretHash !== parent.secret_hash;
  // Whole seconds (a token's expiry): at least the lifetime asked for, never past the parent's own end.
  const now = Date.now();
  const parentEnds = [parent.expires_at, withPreviousSecret ? parent.previous_secret_expires_at : null].flatMap((at) =>
    at ? [Math.floor(at.getTime() / 1000)] : [],
  );
  const expiresAtSeconds = Math.min(Math.ceil((now + seconds * 1000) / 1000), ...parentEnds);
  if (expiresAtSeconds * 1000 <= now) throw badUserInput('input.expiresInSeconds', 'the API key expires within a second');
  const generation = parent.secret_generation - (withPreviousSecret ? 1 : 0);
  const issued = await ctx.services.signer.issueTemporaryKey({ apiKeyId: parent.id, generation }, new Date(expiresAtSeconds * 1000));
  await audited(
    ctx,
    'createTemporaryApiKey',
    async () => parent,
    // Nothing stored changes: the temporary key is a signed token.
    () => ({ resourceId: parent.id }),
  );
  return { ...issued, apiKeyId: parent.id };
}

/** What a key is now, from the policy: its own state, then whether its owner stands behind it. */
export async function apiKeyStatusOf(ctx: RequestContext, key: ApiKeyRow): Promise<ApiKeyStatus> {
  const [owner, membership] = await Promise.all([
    ctx.loaders.principalById.load(key.owner_id),
    ctx.loaders.membership.load(membershipKey(key.workspace_id, key.owner_id)),
  ]);
  const standing =
    owner !== null &&
    keyOwnerInGoodStanding({
      kind: owner.kind,
      status: owner.status,
      policies: new Set(owner.policies as PolicyName[]),
      isMemberOfKeyWorkspace: membership !== null,
    });
  return apiKeyStatus({ enabled: key.enabled, expiresAt: key.expires_at }, standing, new Date());
}
