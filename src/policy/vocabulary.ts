/** The RAM policies of docs/domain.md, by their product names. */
export const POLICIES = [
  'AliyunBailianFullAccess',
  'AliyunBailianControlFullAccess',
  'AliyunBailianControlReadOnlyAccess',
  'AliyunBailianReadOnlyAccess',
  'AliyunBailianDataFullAccess',
  'AliyunBailianDataReadOnlyAccess',
  'AliyunRAMFullAccess',
] as const;
export type PolicyName = (typeof POLICIES)[number];

/** The policies that write the management layer: they create workspaces, manage members and every workspace's keys. */
export const MANAGEMENT_WRITERS: readonly PolicyName[] = ['AliyunBailianFullAccess', 'AliyunBailianControlFullAccess'];

/** The root and AliyunBailianFullAccess holders are super administrators (the Super Admin role stays the root's). */
export const isSuperAdministrator = (principal: { kind: 'ROOT' | 'USER' | 'ROLE'; policies: ReadonlySet<PolicyName> }) =>
  principal.kind === 'ROOT' || principal.policies.has('AliyunBailianFullAccess');

/** Data policies may be attached or detached by the root alone. */
export const isDataPolicy = (policy: PolicyName) => policy.startsWith('AliyunBailianData');

/** Page permissions: membership in a workspace plus write access to one feature each. */
export const PAGES = [
  'MODEL_EXPERIENCE',
  'BATCH_INFERENCE',
  'MODEL_OBSERVATION',
  'MODEL_TUNING',
  'MY_MODELS',
  'MODEL_DEPLOYMENT',
  'MODEL_EVALUATION',
  'DATA_MANAGEMENT',
  'MODEL_MONITORING',
  'APPLICATION_OBSERVATION',
  'APPLICATION_DATA',
  'KNOWLEDGE_BASE',
  'PROMPT_ENGINEERING',
  'APPLICATIONS',
  'API_KEY',
  'ADMINISTRATOR',
] as const;
export type Page = (typeof PAGES)[number];

export const REGIONS = ['cn-beijing', 'ap-southeast-1', 'us-east-1', 'cn-hongkong', 'eu-central-1'] as const;
export type Region = (typeof REGIONS)[number];

export type Layer = 'DATA' | 'MANAGEMENT';
