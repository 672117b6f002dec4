import {
  anyone,
  both,
  hasPage,
  hasPolicy,
  isMember,
  isRoot,
  isTrustedByRole,
  ownsResource,
  signsInWithPassword,
  withAnyApiKey,
  withConsoleSession,
  withLongLivedApiKey,
  type Condition,
} from './conditions.js';
import { MANAGEMENT_WRITERS, type Layer, type PolicyName } from './vocabulary.js';

/** How much of a list an allowed caller sees. */
export type Scope = 'ALL' | 'MEMBER_OF' | 'OWN' | 'KEY_WORKSPACE';

/** One way to be allowed: a condition, the layer it belongs to and, for lists, the scope it opens. */
export interface Grant {
  when: Condition;
  layer: Layer;
  scope?: Scope;
}

export interface AbilityRule {
  description: string;
  /** The layer reported when nothing grants the ability. */
  layer: Layer;
  /** Grants for console sessions (root, RAM user, role session), tried in order. */
  grants: Grant[];
  /** Grants for API-key requests inside the key's workspace; absent: API keys are refused. */
  keyGrants?: Grant[];
  /** The types whose `viewerPermissions` answer for this ability (decided on that object). */
  subjects?: readonly PermissionSubject[];
  /** Refused on a default workspace whatever the grants (the operations answer BAD_USER_INPUT there). */
  subWorkspacesOnly?: true;
}

/** The types that carry `viewerPermissions` (src/access/viewer-permissions.ts). */
export const PERMISSION_SUBJECTS = ['Account', 'Workspace', 'ApiKey', 'RamUser', 'RamRole', 'KnowledgeBase'] as const;
export type PermissionSubject = (typeof PERMISSION_SUBJECTS)[number];

const management = (when: Condition, scope?: Scope): Grant => ({ when, layer: 'MANAGEMENT', ...(scope ? { scope } : {}) });
const data = (when: Condition, scope?: Scope): Grant => ({ when, layer: 'DATA', ...(scope ? { scope } : {}) });
const policies = (names: readonly PolicyName[], scope?: Scope) => names.map((name) => management(hasPolicy(name), scope));

const MANAGEMENT_READERS: PolicyName[] = [...MANAGEMENT_WRITERS, 'AliyunBailianControlReadOnlyAccess', 'AliyunBailianReadOnlyAccess'];
const DATA_WRITERS: PolicyName[] = ['AliyunBailianFullAccess', 'AliyunBailianDataFullAccess'];
const DATA_READERS: PolicyName[] = [...DATA_WRITERS, 'AliyunBailianReadOnlyAccess', 'AliyunBailianDataReadOnlyAccess'];
/** Data permissions need a data policy and membership of the workspace (docs/domain.md). */
const dataPolicyAndMembership = (names: readonly PolicyName[]) => names.map((name) => data(both(hasPolicy(name), isMember)));

const root = management(isRoot);
const rootAsData = data(isRoot);
/** Who manages a workspace's API keys, everyone's (docs/domain.md, `API_KEY`). */
const KEY_MANAGERS: Grant[] = [root, ...policies(MANAGEMENT_WRITERS), data(hasPage('ADMINISTRATOR')), data(hasPage('API_KEY'))];

/**
 * The abilities of the gateway: who may do what, as data. Each row of docs/permission-matrix.md
 * maps to one ability; graphql-shield rules and `explainAccess` both read this table.
 */
export const ABILITIES = {
  read_account: {
    description: "Read one's own account (name, creation time)",
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [management(anyone)],
    keyGrants: [data(anyone)],
  },
  activate_model_studio: {
    description: 'Activate Model Studio in a region',
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [root],
  },
  create_workspace: {
    description: 'Create a sub-workspace',
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [root, ...policies(MANAGEMENT_WRITERS)],
  },
  rename_workspace: {
    description: 'Rename a workspace',
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    grants: [root, ...policies(MANAGEMENT_WRITERS)],
  },
  list_workspaces: {
    description: "List the account's workspaces",
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [management(isRoot, 'ALL'), ...policies(MANAGEMENT_READERS, 'ALL'), data(anyone, 'MEMBER_OF')],
    keyGrants: [data(anyone, 'KEY_WORKSPACE')],
  },
  read_workspace: {
    description: 'Read a workspace (id, name, region, kind)',
    layer: 'DATA',
    subjects: ['Workspace'],
    grants: [root, ...policies(MANAGEMENT_READERS), data(isMember)],
    keyGrants: [data(anyone)],
  },
  manage_ram_identity: {
    description: 'Create, disable, enable or delete a RAM user or RAM role',
    layer: 'MANAGEMENT',
    subjects: ['Account', 'RamUser', 'RamRole'],
    grants: [root, ...policies(['AliyunRAMFullAccess'])],
  },
  read_ram_identities: {
    description: "Read the account's RAM users, RAM roles and their policies",
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [root, ...policies(['AliyunRAMFullAccess', ...MANAGEMENT_READERS])],
  },
  read_principal: {
    description: 'Read a principal and its policies',
    layer: 'MANAGEMENT',
    subjects: ['RamUser', 'RamRole'],
    // A role's trusted users may see what assuming it grants.
    grants: [root, ...policies(['AliyunRAMFullAccess', ...MANAGEMENT_READERS]), management(ownsResource), management(isTrustedByRole)],
  },
  attach_policy: {
    description: 'Attach or detach a policy other than AliyunBailianData*',
    layer: 'MANAGEMENT',
    subjects: ['RamUser', 'RamRole'],
    grants: [root, ...policies(['AliyunRAMFullAccess'])],
  },
  attach_data_policy: {
    description: 'Attach or detach an AliyunBailianData* policy',
    layer: 'MANAGEMENT',
    subjects: ['RamUser', 'RamRole'],
    grants: [root],
  },
  change_own_password: {
    description: "Change one's own password, in a console session",
    layer: 'MANAGEMENT',
    grants: [management(both(ownsResource, both(withConsoleSession, signsInWithPassword)))],
  },
  revoke_sessions: {
    description: "End a principal's sessions (its API keys and AccessKey pairs go on)",
    layer: 'MANAGEMENT',
    subjects: ['RamUser', 'RamRole'],
    grants: [root, ...policies(['AliyunRAMFullAccess']), management(ownsResource)],
  },
  assume_role: {
    description: 'Assume a RAM role',
    layer: 'MANAGEMENT',
    subjects: ['RamRole'],
    grants: [management(isTrustedByRole)],
  },
  register_model_studio_user: {
    description: 'Register a RAM user or role in Model Studio',
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [root, ...policies(MANAGEMENT_WRITERS)],
  },
  read_model_studio_users: {
    description: "Read the account's Model Studio user list",
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [root, ...policies(MANAGEMENT_READERS)],
  },
  manage_members: {
    description: "Add a member, set a member's page permissions (ADMINISTRATOR included) or remove a member",
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    grants: [root, ...policies(MANAGEMENT_WRITERS), data(hasPage('ADMINISTRATOR'))],
  },
  list_members: {
    description: "List a workspace's members and their page permissions",
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    grants: [root, ...policies(MANAGEMENT_READERS), data(hasPage('ADMINISTRATOR'))],
  },
  authorize_model: {
    description: 'Authorize models (inference, fine-tuning, deployment) for a sub-workspace; open or close all',
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    subWorkspacesOnly: true,
    grants: [root, ...policies(['AliyunBailianFullAccess'])],
  },
  set_rate_limit: {
    description: 'Set or delete a rate limit for a model in a sub-workspace',
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    subWorkspacesOnly: true,
    grants: [root, ...policies(['AliyunBailianFullAccess'])],
  },
  read_model_authorizations: {
    description: "Read a workspace's model authorizations and rate limits",
    layer: 'DATA',
    subjects: ['Workspace'],
    grants: [root, ...policies(MANAGEMENT_READERS), data(isMember)],
    keyGrants: [data(anyone)],
  },
  create_fine_tuned_model: {
    description: 'Fine-tune a model in a workspace',
    layer: 'DATA',
    subjects: ['Workspace'],
    grants: [rootAsData, data(hasPage('ADMINISTRATOR')), data(hasPage('MODEL_TUNING'))],
  },
  create_api_key: {
    description: 'Create an API key in a workspace',
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    grants: KEY_MANAGERS,
  },
  list_api_keys: {
    description: "List a workspace's API keys",
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    grants: [
      management(isRoot, 'ALL'),
      ...policies(MANAGEMENT_READERS, 'ALL'),
      data(hasPage('ADMINISTRATOR'), 'ALL'),
      data(hasPage('API_KEY'), 'ALL'),
      data(isMember, 'OWN'),
    ],
  },
  read_api_key: {
    description: 'Read one API key (its metadata, never its secret)',
    layer: 'MANAGEMENT',
    subjects: ['ApiKey'],
    grants: [root, ...policies(MANAGEMENT_READERS), data(hasPage('ADMINISTRATOR')), data(hasPage('API_KEY')), data(ownsResource)],
  },
  create_api_key_for_member: {
    description: "Create an API key owned by another member of the workspace (who holds API_KEY): the workspace's key managers",
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    grants: KEY_MANAGERS,
  },
  delete_api_key: {
    description: 'Delete an API key',
    layer: 'MANAGEMENT',
    subjects: ['ApiKey'],
    grants: [...KEY_MANAGERS, data(ownsResource)],
  },
  manage_api_key: {
    description: "Edit an API key's description, model scope, IP allowlist or expiry; disable, enable or rotate it",
    layer: 'MANAGEMENT',
    subjects: ['ApiKey'],
    grants: [...KEY_MANAGERS, data(ownsResource)],
  },
  create_temporary_api_key: {
    description: 'Derive a temporary key (st-) from the API key the request is made with',
    layer: 'DATA',
    grants: [data(withLongLivedApiKey)],
    keyGrants: [data(withLongLivedApiKey)],
  },
  manage_access_keys: {
    description: "See, create, deactivate, reactivate or delete a RAM user's AccessKey pairs",
    layer: 'MANAGEMENT',
    subjects: ['RamUser'],
    grants: [root, ...policies(['AliyunRAMFullAccess']), management(ownsResource)],
  },
  manage_knowledge_bases: {
    description: 'Create or delete a knowledge base in a workspace',
    layer: 'DATA',
    subjects: ['Workspace', 'KnowledgeBase'],
    grants: [rootAsData, data(hasPage('ADMINISTRATOR')), data(hasPage('KNOWLEDGE_BASE')), ...dataPolicyAndMembership(DATA_WRITERS)],
    keyGrants: [rootAsData, ...dataPolicyAndMembership(DATA_WRITERS)],
  },
  read_knowledge_bases: {
    description: "Read a workspace's knowledge bases",
    layer: 'DATA',
    subjects: ['Workspace', 'KnowledgeBase'],
    grants: [rootAsData, data(isMember)],
    keyGrants: [rootAsData, ...dataPolicyAndMembership(DATA_READERS)],
  },
  record_model_usage: {
    description: "Record the tokens of a call that authorizeModelCall allowed the request's key",
    layer: 'DATA',
    grants: [data(withAnyApiKey)],
    keyGrants: [data(withAnyApiKey)],
  },
  set_workspace_budget: {
    description: "Set or clear a sub-workspace's monthly budget",
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    subWorkspacesOnly: true,
    grants: [root, ...policies(['AliyunBailianFullAccess'])],
  },
  read_usage: {
    description: "Read a workspace's usage, spend and budget",
    layer: 'MANAGEMENT',
    subjects: ['Workspace'],
    grants: [root, ...policies(MANAGEMENT_READERS), data(hasPage('ADMINISTRATOR'))],
  },
  read_audit: {
    description: "Read the account's audit trail",
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [root, ...policies(MANAGEMENT_READERS)],
  },
  explain_access_for_others: {
    description: 'Explain a decision for another principal of the account',
    layer: 'MANAGEMENT',
    subjects: ['Account'],
    grants: [root, ...policies(MANAGEMENT_READERS)],
  },
} satisfies Record<string, AbilityRule>;

export type Ability = keyof typeof ABILITIES;
export const ABILITY_NAMES = Object.keys(ABILITIES) as Ability[];
