import { ABILITIES, type Ability, type AbilityRule, type Scope } from './abilities.js';
import type { Facts } from './facts.js';
import type { Layer } from './vocabulary.js';

export interface Decision {
  ability: Ability;
  allowed: boolean;
  layer: Layer;
  /** Allowed: the fact that allowed it. Denied: what is missing, or what prevents it. */
  reasons: string[];
  /** How a denial reads to the caller: another account's resources do not exist for it. */
  denial?: 'FORBIDDEN' | 'NOT_FOUND';
  /** For list abilities: how much of the list the caller sees. */
  scope?: Scope;
}

/**
 * The one place that decides. Preventing facts win over granting ones:
 * another account's resource reads as not found; an API key never leaves its workspace
 * and never reaches the management layer.
 */
export function decide(ability: Ability, facts: Facts): Decision {
  const rule: AbilityRule = ABILITIES[ability];
  const deny = (reasons: string[], denial: Decision['denial'] = 'FORBIDDEN'): Decision => ({
    ability,
    allowed: false,
    layer: rule.layer,
    reasons,
    denial,
  });

  if (facts.resourceAccountId !== facts.actor.accountId) {
    return deny(['the resource does not exist in your account'], 'NOT_FOUND');
  }
  if (facts.workspace && facts.workspace.accountId !== facts.actor.accountId) {
    return deny(['the workspace does not exist in your account'], 'NOT_FOUND');
  }

  let grants = rule.grants;
  if (facts.actor.via === 'API_KEY') {
    if (!rule.keyGrants) return deny(['API keys cannot perform this operation; sign in to the console instead']);
    if (facts.workspace && facts.workspace.id !== facts.actor.apiKeyWorkspaceId) {
      return deny(["an API key acts only inside its own workspace"]);
    }
    grants = rule.keyGrants;
  }

  const granted = grants.find((grant) => grant.when.test(facts));
  if (!granted) {
    return deny([`requires one of: ${grants.map((grant) => grant.when.name).join('; ')}`]);
  }
  return {
    ability,
    allowed: true,
    layer: granted.layer,
    reasons: [`allowed as ${granted.when.name}`],
    ...(granted.scope ? { scope: granted.scope } : {}),
  };
}

/** The root and AliyunBailianFullAccess holders are super administrators (the Super Admin role stays the root's). */
export const isSuperAdministrator = (actor: Pick<Facts['actor'], 'kind' | 'policies'>) =>
  actor.kind === 'ROOT' || actor.policies.has('AliyunBailianFullAccess');
