export {
  ABILITIES,
  ABILITY_NAMES,
  PERMISSION_SUBJECTS,
  type Ability,
  type AbilityRule,
  type PermissionSubject,
  type Scope,
} from './abilities.js';
export { decide, type Decision } from './decide.js';
export {
  callRecordableBy,
  decideCallLimits,
  decideModelCall,
  type CallLimitFacts,
  type ModelCallFacts,
  type ModelCallReason,
} from './decide-model-call.js';
export { parseCidr, ipInAllowlist } from './cidr.js';
export type { Actor, Facts, WorkspaceFacts } from './facts.js';
export * from './vocabulary.js';
export { apiKeyStatus, keyOwnerInGoodStanding, mayOwnApiKeyIn, workspaceRole, type ApiKeyStatus } from './standing.js';
export { ABILITY_CHOICES, type AbilityChoice, type AbilityChoiceName, type ChoiceResource } from './ability-choices.js';
export { PREVENTIONS, inCallersAccount, modelVisibleTo, type Prevention } from './preventions.js';
export { listFilter, visibleMemberships, type ListFilter } from './list-scope.js';
