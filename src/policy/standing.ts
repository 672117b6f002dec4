import { MANAGEMENT_WRITERS, isSuperAdministrator, type Page, type PolicyName } from './vocabulary.js';

/**
 * What a principal is in a workspace (docs/domain.md): super administrators first;
 * ADMINISTRATOR makes a workspace administrator.
 */
export function workspaceRole(
  principal: { kind: 'ROOT' | 'USER' | 'ROLE'; policies: ReadonlySet<PolicyName> },
  pages: ReadonlySet<Page>,
): 'SUPER_ADMINISTRATOR' | 'WORKSPACE_ADMINISTRATOR' | 'MEMBER' {
  if (isSuperAdministrator(principal)) return 'SUPER_ADMINISTRATOR';
  return pages.has('ADMINISTRATOR') ? 'WORKSPACE_ADMINISTRATOR' : 'MEMBER';
}

/**
 * Whether an API key's owner still stands behind it. The root's keys always work. Others
 * need to be enabled and either a member of the key's workspace (removal pauses the key,
 * re-adding resumes it) or a holder of a policy that manages every workspace's keys
 * (such owners were never members, so membership cannot be what keeps their keys alive).
 */
export function keyOwnerInGoodStanding(owner: {
  kind: 'ROOT' | 'USER' | 'ROLE';
  status: 'ACTIVE' | 'DISABLED' | 'DELETED';
  policies: ReadonlySet<PolicyName>;
  isMemberOfKeyWorkspace: boolean;
}): boolean {
  if (owner.kind === 'ROOT') return true;
  if (owner.status !== 'ACTIVE') return false;
  return owner.isMemberOfKeyWorkspace || MANAGEMENT_WRITERS.some((policy) => owner.policies.has(policy));
}

export type ApiKeyStatus = 'ACTIVE' | 'DISABLED' | 'EXPIRED' | 'INACTIVE';

/**
 * What an API key is now: disabled by someone, past its expiry, or INACTIVE because its owner no
 * longer stands behind it (`keyOwnerInGoodStanding`). Only an ACTIVE key authenticates.
 */
export function apiKeyStatus(key: { enabled: boolean; expiresAt: Date | null }, ownerInGoodStanding: boolean, now: Date): ApiKeyStatus {
  if (!key.enabled) return 'DISABLED';
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'EXPIRED';
  return ownerInGoodStanding ? 'ACTIVE' : 'INACTIVE';
}

/**
 * Whom a key manager may give a key to: an enabled member of the key's workspace holding the
 * API_KEY page permission (ADMINISTRATOR covers every page), so that the key is ACTIVE from the start.
 */
export function mayOwnApiKeyIn(owner: { status: 'ACTIVE' | 'DISABLED' | 'DELETED'; pages: ReadonlySet<Page> | null }): boolean {
  return owner.status === 'ACTIVE' && (owner.pages?.has('API_KEY') === true || owner.pages?.has('ADMINISTRATOR') === true);
}
