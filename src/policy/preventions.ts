import type { AbilityRule } from './abilities.js';
import type { Facts } from './facts.js';

/**
 * Facts that refuse whatever the grants say, tried before them, in order. Each reads as its
 * `denial` to the caller: another account's resources do not exist for it.
 */
export interface Prevention {
  name: string;
  test: (facts: Facts, rule: AbilityRule) => boolean;
  reason: string;
  denial: 'FORBIDDEN' | 'NOT_FOUND';
}

export const PREVENTIONS: readonly Prevention[] = [
  {
    name: "another account's resource",
    test: (f) => f.resourceAccountId !== f.actor.accountId,
    reason: 'the resource does not exist in your account',
    denial: 'NOT_FOUND',
  },
  {
    name: "another account's workspace",
    test: (f) => f.workspace !== undefined && f.workspace.accountId !== f.actor.accountId,
    reason: 'the workspace does not exist in your account',
    denial: 'NOT_FOUND',
  },
  {
    name: 'an API key on a console-only ability',
    // Abilities without key grants belong to the console: the whole management layer among them.
    test: (f, rule) => f.actor.via === 'API_KEY' && !rule.keyGrants,
    reason: 'API keys cannot perform this operation; sign in to the console instead',
    denial: 'FORBIDDEN',
  },
  {
    name: 'an API key outside its workspace',
    test: (f) => f.actor.via === 'API_KEY' && f.workspace !== undefined && f.workspace.id !== f.actor.apiKeyWorkspaceId,
    reason: 'an API key acts only inside its own workspace',
    denial: 'FORBIDDEN',
  },
];

/** Another account's resources do not exist for the caller: lookups by ID ask this before loading anything more. */
export const inCallersAccount = (callerAccountId: string, resourceAccountId: string) => resourceAccountId === callerAccountId;

/** A model an account may name: a standard one, or one fine-tuned in one of its own workspaces. */
export const modelVisibleTo = (accountId: string, model: { account_id: string | null }) =>
  model.account_id === null || model.account_id === accountId;
