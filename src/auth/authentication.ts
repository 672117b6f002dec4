import type { ApiKeyRow } from '../api-keys/api-keys.table.js';
import { findLiveApiKeyBySecretHash } from '../api-keys/api-keys.repository.js';
import type { DB } from '../db/database.js';
import { unauthenticated } from '../errors.js';
import type { PrincipalRow } from '../identity/identity.table.js';
import type { Loaders } from '../loaders.js';
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

export type AuthenticationResult = { auth: Authentication | null; error: GraphQLError | null };

const anonymous: AuthenticationResult = { auth: null, error: null };
const refused = (message?: string): AuthenticationResult => ({ auth: null, error: unauthenticated(message) });

/**
 * Resolves the `Authorization` header to a principal, checking on every request that the
 * principal (and, for a role session, the assuming user) still exists and is enabled.
 * A key whose owner is disabled still authenticates, so that `modelAccess` can answer
 * KEY_INACTIVE; everything else refuses such a request (see the `authenticated` rule).
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
    const found = await findLiveApiKeyBySecretHash(deps.db, hashApiKeySecret(token));
    if (!found || found.owner.status === 'DELETED') return refused('Invalid API key');
    const { key, owner } = found;
    deps.loaders.principalById.prime(owner.id, owner);
    return { auth: { principal: owner, via: 'API_KEY', assumedBy: null, apiKey: key }, error: null };
  }

  const claims = await deps.signer.verify(token);
  if (!claims) return refused('Invalid or expired session token');
  const [principal, assumedBy] = await Promise.all([
    deps.loaders.principalById.load(claims.principalId),
    claims.assumedById ? deps.loaders.principalById.load(claims.assumedById) : null,
  ]);
  const live = (p: PrincipalRow | null): p is PrincipalRow =>
    p !== null && p.status === 'ACTIVE' && p.account_id === claims.accountId;
  if (!live(principal)) return refused('The session is no longer valid: the principal is disabled or deleted');
  if (claims.assumedById) {
    if (principal.kind !== 'ROLE' || !live(assumedBy) || assumedBy.kind !== 'USER') {
      return refused('The role session is no longer valid');
    }
  } else if (principal.kind === 'ROLE') {
    return refused('Invalid session token');
  }
  return { auth: { principal, via: 'SESSION', assumedBy: claims.assumedById ? assumedBy : null, apiKey: null }, error: null };
}
