import type { Scope } from './abilities.js';
import type { Actor } from './facts.js';

/** How much of a list the caller sees, as a filter the repositories apply. */
export type ListFilter =
  | { kind: 'ALL' }
  | { kind: 'OWNED_BY'; principalId: string }
  | { kind: 'MEMBER'; principalId: string }
  | { kind: 'WORKSPACE'; workspaceId: string };

/** The filter for an allowed list decision's scope (a list decision without a scope shows everything). */
export function listFilter(scope: Scope | undefined, actor: Actor): ListFilter {
  switch (scope) {
    case 'OWN':
      return { kind: 'OWNED_BY', principalId: actor.principalId };
    case 'MEMBER_OF':
      return { kind: 'MEMBER', principalId: actor.principalId };
    case 'KEY_WORKSPACE':
      // Only keyGrants open this scope, and they are tried for API-key actors only, which carry their key's workspace.
      if (actor.apiKeyWorkspaceId === undefined) {
        throw new Error('Invariant broken: a KEY_WORKSPACE scope for an actor without an API key workspace');
      }
      return { kind: 'WORKSPACE', workspaceId: actor.apiKeyWorkspaceId };
    case 'ALL':
    case undefined:
      return { kind: 'ALL' };
  }
}

/** The caller's own memberships it may see: an API key sees its own workspace only. */
export const visibleMemberships = <M extends { workspace_id: string }>(actor: Actor, memberships: readonly M[]): M[] =>
  actor.via === 'API_KEY' ? memberships.filter((m) => m.workspace_id === actor.apiKeyWorkspaceId) : [...memberships];
