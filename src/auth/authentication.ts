import type { GraphQLError } from 'graphql';
import { findAccessKeyWithUser } from '../access-keys/access-keys.repository.js';
import type { AccessKeyRow } from '../access-keys/access-keys.table.js';
import type { DB } from '../db/database.js';
import type { SharedReads } from '../db/coalesced-statements.js';
import { findPresentedApiKey, type FoundApiKey, type PresentedApiKey } from '../api-keys/api-keys.repository.js';
import type { ApiKeyRow } from '../api-keys/api-keys.table.js';
import type { RequestContext } from '../context.js';
import { unauthenticated } from '../errors.js';
import { findCallers } from '../identity/identity.repository.js';
import type { PrincipalRow } from '../identity/identity.table.js';
import type { Loaders } from '../loaders.js';
import { apiKeyStatus, keyOwnerInGoodStanding, type ApiKeyStatus, type PolicyName } from '../policy/index.js';
import {
  hashApiKeySecret,
  isWellFormedApiKey,
  looksLikeAccessKeyPair,
  looksLikeApiKey,
  looksLikeTemporaryKey,
  parseAccessKeyPair,
  sameHash,
} from './credential-secrets.js';
import type { CredentialUses } from './last-use.js';
import type { SessionSigner } from './session.js';

/** Who a request acts as. Deciding what it may do is the policy module's work, not this one's. */
export interface Authentication {
  /** The acting principal: the role itself for a role session, the owner for an API key, the user for an AccessKey. */
  principal: PrincipalRow;
  via: 'SESSION' | 'ACCESS_KEY' | 'API_KEY';
  /** For a role session: the RAM user who assumed the role. */
  assumedBy: PrincipalRow | null;
  /** For an API-key request: the key (the parent key, for a temporary one). */
  apiKey: ApiKeyRow | null;
  /** For an API-key request made with a temporary key (`st-`). */
  temporaryKey?: boolean;
  /** For an AccessKey request: the AccessKey pair. */
  accessKey?: AccessKeyRow;
  /** For a session: the token's ID (`changePassword` keeps this session). */
  sessionId?: string;
}

export type AuthenticationResult = {
  auth: Authentication | null;
  error: GraphQLError | null;
  /** A presented API key: looked up when first needed (`settleAuthentication`). */
  presentedApiKey: PresentedApiKey | null;
};

const anonymous: AuthenticationResult = { auth: null, error: null, presentedApiKey: null };
const refused = (message?: string): AuthenticationResult => ({ auth: null, error: unauthenticated(message), presentedApiKey: null });
const signedIn = (auth: Authentication): AuthenticationResult => ({ auth, error: null, presentedApiKey: null });

const live = (p: PrincipalRow | null, accountId: string): p is PrincipalRow =>
  p !== null && p.status === 'ACTIVE' && p.account_id === accountId;

interface AuthenticationDeps {
  db: DB;
  sharedReads: SharedReads;
  loaders: Loaders;
  signer: SessionSigner;
  lastUse: CredentialUses;
}

/**
 * Resolves the `Authorization` header to a principal, checking on every request that the
 * principal (and, for a role session, the assuming user) still exists and is enabled.
 * An API key, temporary ones included, is only read here: `modelAccess`, the inference proxies'
 * hot path, looks the key up together with everything else it needs in one statement; any other
 * field settles it first (`settleAuthentication`).
 */
export async function authenticate(header: string | undefined, deps: AuthenticationDeps): Promise<AuthenticationResult> {
  if (!header) return anonymous;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match?.[1]) return refused('The Authorization header must be "Bearer <session token, API key or AccessKeyId:AccessKeySecret>"');
  const token = match[1];

  if (looksLikeApiKey(token)) {
    if (!isWellFormedApiKey(token)) return refused('Invalid API key');
    return { auth: null, error: null, presentedApiKey: { secretHash: hashApiKeySecret(token) } };
  }
  if (looksLikeTemporaryKey(token)) {
    const temporary = deps.signer.verifyTemporaryKey(token);
    if (!temporary) return refused('Invalid or expired temporary key');
    return { auth: null, error: null, presentedApiKey: { temporary } };
  }
  if (looksLikeAccessKeyPair(token)) return authenticateAccessKey(token, deps);

  const claims = deps.signer.verify(token);
  if (!claims) return refused('Invalid or expired session token');
  const assumer = claims.assumedBy;
  const [callers, trust] = await Promise.all([
    findCallers(deps.sharedReads, claims.principalId, assumer?.id ?? null),
    assumer ? deps.loaders.trustByRoleId.load(claims.principalId) : null,
  ]);
  const callerOf = (id: string) => callers.find((caller) => caller.principal.id === id) ?? null;
  for (const caller of callers) deps.loaders.principalById.prime(caller.principal.id, caller.principal);
  const principal = callerOf(claims.principalId)?.principal ?? null;
  const assumedBy = assumer ? (callerOf(assumer.id)?.principal ?? null) : null;
  if (!live(principal, claims.accountId)) return refused('The session is no longer valid: the principal is disabled or deleted');
  if (!sessionStillCurrent(principal, claims.generation, claims.sessionId)) return refused('The session has ended: sign in again');
  if (assumer) {
    if (principal.kind !== 'ROLE' || !live(assumedBy, claims.accountId) || assumedBy.kind !== 'USER') {
      return refused('The role session is no longer valid');
    }
    // Sessions of the assuming user ended, or the role no longer trusts the user (or trusts it
    // again, since after the session began): the role session ends too.
    const trustedSince = trust?.find((row) => row.user_id === assumedBy.id)?.created_at;
    if (!sessionStillCurrent(assumedBy, assumer.generation, null) || !trustedSince || trustedSince.getTime() > assumer.at) {
      return refused('The role session has ended: the user signed out everywhere or is no longer trusted by the role');
    }
  } else if (principal.kind === 'ROLE') {
    return refused('Invalid session token');
  }
  deps.loaders.knowMembershipsOf(principal.id, callerOf(principal.id)?.memberships ?? []);
  return signedIn({ principal, via: 'SESSION', assumedBy: assumer ? assumedBy : null, apiKey: null, sessionId: claims.sessionId });
}

/**
 * A session token works while its principal's session generation is the one it was issued in;
 * of earlier ones, only the session that ended the others (`changePassword`) stays.
 */
function sessionStillCurrent(principal: PrincipalRow, generation: number, sessionId: string | null): boolean {
  return generation === principal.session_generation || (sessionId !== null && sessionId === principal.session_kept_id);
}

/** An AccessKey pair acts as its RAM user while the pair is ACTIVE and the user enabled. */
async function authenticateAccessKey(token: string, deps: AuthenticationDeps): Promise<AuthenticationResult> {
  // Made only when refusing: an error captures a stack trace.
  const invalid = () => refused('Invalid AccessKey pair');
  const pair = parseAccessKeyPair(token);
  if (!pair) return invalid();
  const found = await findAccessKeyWithUser(deps.sharedReads, pair.accessKeyId);
  if (!found || !sameHash(found.accessKey.secret_hash, hashApiKeySecret(pair.secret))) return invalid();
  const { accessKey, user: principal } = found;
  if (accessKey.status !== 'ACTIVE') return refused('The AccessKey pair is inactive');
  if (!live(principal, accessKey.account_id)) return refused('The AccessKey pair is no longer valid: its user is disabled or deleted');
  deps.loaders.principalById.prime(principal.id, principal);
  deps.loaders.knowMembershipsOf(principal.id, found.memberships);
  deps.lastUse.record('access_key', accessKey.id);
  return signedIn({ principal, via: 'ACCESS_KEY', assumedBy: null, apiKey: null, accessKey });
}

const REFUSALS: Record<Exclude<ApiKeyStatus, 'ACTIVE'>, string> = {
  DISABLED: 'The API key is disabled',
  EXPIRED: 'The API key has expired',
  INACTIVE: "The API key is inactive: its owner is disabled or no longer in the key's workspace",
};

/** What a found key is now, from the policy: ACTIVE, or why not. */
export function foundKeyStatus(found: FoundApiKey, now = new Date()): ApiKeyStatus {
  const { key, owner, ownerIsMember } = found;
  const standing = keyOwnerInGoodStanding({
    kind: owner.kind,
    status: owner.status,
    policies: new Set(owner.policies as PolicyName[]),
    isMemberOfKeyWorkspace: ownerIsMember,
  });
  return apiKeyStatus({ enabled: key.enabled, expiresAt: key.expires_at }, standing, now);
}

/**
 * Accepts a presented key found with its owner if it is ACTIVE (a deleted owner's keys are
 * invalid for ever; a removed or disabled one's are inactive until reinstated).
 */
export function acceptApiKey(ctx: RequestContext, found: FoundApiKey | null): void {
  ctx.apiKeyPending = false;
  if (!found || found.owner.status === 'DELETED') {
    ctx.authError = unauthenticated('Invalid API key');
    return;
  }
  const status = foundKeyStatus(found);
  if (status !== 'ACTIVE') {
    ctx.authError = unauthenticated(REFUSALS[status]);
    return;
  }
  ctx.loaders.principalById.prime(found.owner.id, found.owner);
  ctx.lastUse.record('api_key', found.key.id);
  const temporaryKey = ctx.presentedApiKey !== null && 'temporary' in ctx.presentedApiKey;
  ctx.auth = { principal: found.owner, via: 'API_KEY', assumedBy: null, apiKey: found.key, ...(temporaryKey ? { temporaryKey } : {}) };
}

/**
 * Looks up a presented API key, once per request however many ask at the same time (the plugins
 * that run before execution ask side by side).
 */
export function settleAuthentication(ctx: RequestContext): Promise<void> {
  const presented = ctx.presentedApiKey;
  if (!ctx.apiKeyPending || !presented) return Promise.resolve();
  ctx.apiKeyLookup ??= findPresentedApiKey(ctx.sharedReads, presented).then((found) => acceptApiKey(ctx, found));
  return ctx.apiKeyLookup;
}
