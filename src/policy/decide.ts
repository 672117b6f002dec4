import { ABILITIES, type Ability, type AbilityRule, type Scope } from './abilities.js';
import type { Facts } from './facts.js';
import { PREVENTIONS } from './preventions.js';
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
 * The one place that decides. Preventing facts (src/policy/preventions.ts) win over granting
 * ones; an API key is granted only what an ability's `keyGrants` say.
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

  const prevented = PREVENTIONS.find((prevention) => prevention.test(facts, rule));
  if (prevented) return deny([prevented.reason], prevented.denial);

  const grants = (facts.actor.via === 'API_KEY' ? rule.keyGrants : rule.grants) ?? [];

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
