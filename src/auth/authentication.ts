import type { ApiKeyRow } from '../api-keys/api-keys.table.js';
import { findLiveApiKeyBySecretHash, type FoundApiKey } from '../api-keys/api-keys.repository.js';
import type { DB } from '../db/database.js';
import { unauthenticated } from '../errors.js';
import type { PrincipalRow } from '../identity/identity.table.js';
import type { RequestContext } from '../context.js';
import type { Loaders } from '../loaders.js';
import { keyOwnerInGoodStanding, type PolicyName } from '../policy/index.js';
import { hashApiKeySecret, isWellFormedApiKey, looksLikeApiKey } from './api-key-secret.js';
import type { SessionSigner } from './session.js';
import type { GraphQLError } from 'graphql';

/** Who a request acts as. Deciding what it may do is the policy module's work, not this one's. */
export interface Authentication {
  /** The acting principal: the role itself for a role session, the owner for an API key. */
  principal: PrincipalRow;
  via: 'SESSION' | 'API_KEY';
  /** For a role session: the RAM user who assumed the role. */
  assumedBy: PrincipalRow | null;
  /** For an API-key request: the key. */
  apiKey: ApiKeyRow | null;
}

export type AuthenticationResult = {
  auth: Authentication | null;
  error: GraphQLError | null;
  /** An API key's hash: the key is looked up when first needed (`settleAuthentication`). */
  apiKeyHash: string | null;
};

const anonymous: AuthenticationResult = { auth: null, error: null, apiKeyHash: null };
const refused = (message?: string): AuthenticationResult => ({ auth: null, error: unauthenticated(message), apiKeyHash: null });

/**
 * Resolves the `Authorization` header to a principal, checking on every request that the
 * principal (and, for a role session, the assuming user) still exists and is enabled.
 * An API key is only hashed here: `modelAccess`, the inference proxies' hot path, looks the
 * key up together with everything else it needs in one statement; any other field settles
 * it first (`settleAuthentication`). A key whose owner no longer stands behind it
 * authenticates nothing; `modelAccess` alone still answers for it, with KEY_INACTIVE.
 */
export async function authenticate(
  header: string | undefined,
  deps: { db: DB; loaders: Loaders; signer: SessionSigner },
): Promise<AuthenticationResult> {
  if (!header) return anonymous;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match?.[1]) return refused('The Authorization header must be "Bearer <session token or API key>"');
  const token = match[1];

  if (looksLikeApiKey(token)) {
    if (!isWellFormedApiKey(token)) return refused('Invalid API key');
    return { auth: null, error: null, apiKeyHash: hashApiKeySecret(token) };
  }

  const claims = await deps.signer.verify(token);
  if (!claims) return refused('Invalid or expired session token');
  const [principal, assumedBy] = await Promise.all([
    deps.loaders.principalById.load(claims.principalId),
    claims.assumedById ? deps.loaders.principalById.load(claims.assumedById) : null,
  ]);
  const live = (p: PrincipalRow | null): p is PrincipalRow => p !== null && p.status === 'ACTIVE' && p.account_id === claims.accountId;
  if (!live(principal)) return refused('The session is no longer valid: the principal is disabled or deleted');
  if (claims.assumedById) {
    if (principal.kind !== 'ROLE' || !live(assumedBy) || assumedBy.kind !== 'USER') {
      return refused('The role session is no longer valid');
    }
  } else if (principal.kind === 'ROLE') {
    return refused('Invalid session token');
  }
  return {
    auth: { principal, via: 'SESSION', assumedBy: claims.assumedById ? assumedBy : null, apiKey: null },
    error: null,
    apiKeyHash: null,
  };
}

/**
 * Accepts a key found with its owner, if the owner still stands behind it (a deleted owner's
 * keys are invalid for ever; a removed or disabled one's are inactive until reinstated).
 */
export function acceptApiKey(ctx: RequestContext, found: FoundApiKey | null): void {
  ctx.apiKeyPending = false;
  if (!found || found.owner.status === 'DELETED') {
    ctx.authError = unauthenticated('Invalid API key');
    return;
  }
  const { key, owner, ownerIsMember } = found;
  const standing = keyOwnerInGoodStanding({
    kind: owner.kind,
    status: owner.status,
    policies: new Set(owner.policies as PolicyName[]),
    isMemberOfKeyWorkspace: ownerIsMember,
  });
  if (!standing) {
    ctx.authError = unauthenticated("The API key is inactive: its owner is disabled or no longer in the key's workspace");
    return;
  }
  ctx.loaders.principalById.prime(owner.id, owner);
  ctx.auth = { principal: owner, via: 'API_KEY', assumedBy: null, apiKey: key };
}

/**
 * Looks up a presented API key, once per request however many ask at the same time (the plugins
 * that run before execution ask side by side).
 */
export function settleAuthentication(ctx: RequestContext): Promise<void> {
  if (!ctx.apiKeyPending || !ctx.apiKeyHash) return Promise.resolve();
  const hash = ctx.apiKeyHash;
  ctx.apiKeyLookup ??= findLiveApiKeyBySecretHash(ctx.db, hash).then((found) => acceptApiKey(ctx, found));
  return ctx.apiKeyLookup;
}
