import type { Ability } from './abilities.js';
import { isDataPolicy, type PolicyName } from './vocabulary.js';

/**
 * Operations whose ability depends on what they are asked to do. A schema field names one of
 * these in `@can(abilityBy: …)`; the choice sees the field's arguments and the located
 * resource, and says which ability the policy must grant.
 */
/** What a choice knows of the located resource: its type and, for objects with a global ID, the ability that reads it. */
export interface ChoiceResource {
  type: string;
  readAbility?: Ability;
}

export interface AbilityChoice {
  /** What the choice depends on, for docs/authorization-map.md. */
  description: string;
  choose(args: Record<string, unknown>, resource: ChoiceResource): Ability;
}

export const ABILITY_CHOICES = {
  node: {
    description: 'the ability that reads the type the ID names',
    choose: (_args, resource) => {
      // `node` locates its resource by global ID, and every kind of global ID names the ability that reads it.
      if (resource.readAbility === undefined) {
        throw new Error(`Invariant broken: the resource of node (${resource.type}) has no read ability`);
      }
      return resource.readAbility;
    },
  },
  explainAccess: {
    description: '`explain_access_for_others` when `principalId` names someone, else `read_principal` on oneself',
    choose: (args) => (args.principalId ? 'explain_access_for_others' : 'read_principal'),
  },
  policyAttachment: {
    description: '`attach_data_policy` for an AliyunBailianData* policy, else `attach_policy`',
    choose: (args) => (isDataPolicy((args.input as { policy: PolicyName }).policy) ? 'attach_data_policy' : 'attach_policy'),
  },
  apiKeyOwner: {
    description: '`create_api_key_for_member` when `input.ownerId` names an owner, else `create_api_key` (the caller owns it)',
    choose: (args) => ((args.input as { ownerId?: string | null }).ownerId ? 'create_api_key_for_member' : 'create_api_key'),
  },
} satisfies Record<string, AbilityChoice>;

export type AbilityChoiceName = keyof typeof ABILITY_CHOICES;
