export { ABILITIES, ABILITY_NAMES, type Ability, type Scope } from './abilities.js';
export { decide, isSuperAdministrator, type Decision } from './decide.js';
export { decideModelCall, type ModelCallFacts, type ModelCallReason } from './decide-model-call.js';
export { parseCidr, ipInAllowlist } from './cidr.js';
export type { Actor, Facts, WorkspaceFacts } from './facts.js';
export * from './vocabulary.js';
export { keyOwnerInGoodStanding, workspaceRole } from './standing.js';
export { ABILITY_CHOICES, type AbilityChoice, type AbilityChoiceName, type ChoiceResource } from './ability-choices.js';
export { PREVENTIONS, inCallersAccount, modelVisibleTo, type Prevention } from './preventions.js';
