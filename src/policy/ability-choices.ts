import type { Ability } from './abilities.js';
import { isDataPolicy, type PolicyName } from './vocabulary.js';

/**
 * Operations whose ability depends on what they are asked to do. A schema field names one of
 * these in `@can(abilityBy: …)`; the choice sees the field's arguments and the type of the
 * located resource, and says which ability the policy must grant.
 */
export interface AbilityChoice {
  /** What the choice depends on, for docs/authorization-map.md. */
  description: string;
  /** Every ability the choice can make. */
  abilities: readonly Ability[];
  choose(args: Record<string, unknown>, resourceType: string): Ability;
}

/** The ability that reads an object of each type with a global ID (`node(id)`). */
export const READ_ABILITY_BY_TYPE: Record<string, Ability> = {
  Account: 'read_account',
  RootPrincipal: 'read_principal',
  RamUser: 'read_principal',
  RamRole: 'read_principal',
  Workspace: 'read_workspace',
  ApiKey: 'read_api_key',
  KnowledgeBase: 'read_knowledge_bases',
  AuditEvent: 'read_audit',
};

export const ABILITY_CHOICES = {
  node: {
    description: 'the ability that reads the type the ID names',
    abilities: [...new Set(Object.values(READ_ABILITY_BY_TYPE))],
    choose: (_args, resourceType) => READ_ABILITY_BY_TYPE[resourceType]!,
  },
  explainAccess: {
    description: "`explain_access_for_others` when `principalId` names someone, else `read_principal` on oneself",
    abilities: ['explain_access_for_others', 'read_principal'],
    choose: (args) => (args.principalId ? 'explain_access_for_others' : 'read_principal'),
  },
  policyAttachment: {
    description: '`attach_data_policy` for an AliyunBailianData* policy, else `attach_policy`',
    abilities: ['attach_data_policy', 'attach_policy'],
    choose: (args) => (isDataPolicy((args.input as { policy: PolicyName }).policy) ? 'attach_data_policy' : 'attach_policy'),
  },
} satisfies Record<string, AbilityChoice>;

export type AbilityChoiceName = keyof typeof ABILITY_CHOICES;
