import { allow, deny, shield, type IRules } from 'graphql-shield';
import { middleware, type IMiddleware } from 'graphql-middleware';
import {
  accountTarget,
  apiKeyTarget,
  anyTarget,
  knowledgeBaseTarget,
  principalTarget,
  workspaceRowTarget,
  workspaceTarget,
  type Target,
} from '../access/targets.js';
import type { RequestContext } from '../context.js';
import { forbidden } from '../errors.js';
import type { Ability } from '../policy/index.js';
import { isDataPolicy } from '../policy/index.js';
import { apiKeyRequest, authenticated, can } from './rules.js';

/** Locators: where each field finds the resource it is about. */
const ownAccount = (_parent: unknown, _args: unknown, ctx: RequestContext) => accountTarget(ctx);
const parentAccount = (account: { id: string }) => ({ resourceId: account.id, label: 'Account', accountId: account.id });
const parentWorkspace = workspaceRowTarget;
const parentPrincipal = (p: { id: string; account_id: string; kind: string }): Target => ({
  resourceId: p.id,
  label: 'Principal',
  accountId: p.account_id,
  ownerId: p.id,
  ...(p.kind === 'ROLE' ? { roleId: p.id } : {}),
});
const inputWorkspace = (_p: unknown, args: { input: { workspaceId: unknown } }, ctx: RequestContext) =>
  workspaceTarget(ctx, args.input.workspaceId, 'input.workspaceId');
const argWorkspace = (_p: unknown, args: { id: unknown }, ctx: RequestContext) => workspaceTarget(ctx, args.id, 'id');
const argUser = (_p: unknown, args: { id: unknown }, ctx: RequestContext) => principalTarget(ctx, args.id, 'id', 'ramUser');
const argRole = (_p: unknown, args: { id: unknown }, ctx: RequestContext) => principalTarget(ctx, args.id, 'id', 'ramRole');
const inputPrincipal = (_p: unknown, args: { input: { principalId: unknown } }, ctx: RequestContext) =>
  principalTarget(ctx, args.input.principalId, 'input.principalId', 'ramUser', 'ramRole');

/** `node(id)`: the ability that reads each kind of object. */
const NODE_ABILITY: Record<string, Ability> = {
  Workspace: 'read_workspace',
  'API key': 'read_api_key',
  'Knowledge base': 'read_knowledge_bases',
  Principal: 'read_principal',
  Account: 'read_account',
  'Audit event': 'read_audit',
};

/**
 * Every field of the schema mapped to a rule; anything missing falls to `deny`.
 * Object types whose every field is `allow` are reachable only through a guarded field
 * (a list filtered by the policy's scope, or a field whose rule checked the parent), so
 * their plain fields need no second check.
 */
export const permissions: IRules = {
  Query: {
    node: can(
      (_args, target: Target) => NODE_ABILITY[target.label]!,
      (_p, args: { id: string }, ctx) =>
        // An audit event belongs to the caller's own trail, or reads as missing.
        args.id.startsWith('aud_') ? { ...accountTarget(ctx), label: 'Audit event' } : anyTarget(ctx, args.id, 'id'),
    ),
    viewer: authenticated,
    account: can('read_account', ownAccount),
    workspace: can('read_workspace', argWorkspace),
    workspaces: can('list_workspaces', ownAccount),
    models: authenticated,
    modelAccess: apiKeyRequest,
    explainAccess: can(
      (args: { principalId?: string | null }) => (args.principalId ? 'explain_access_for_others' : 'read_principal'),
      async (_p, args: { principalId?: string | null }, ctx) =>
        args.principalId ? { ...(await principalTarget(ctx, args.principalId, 'principalId')) } : parentPrincipal(ctx.auth!.principal),
    ),
    auditEvents: can('read_audit', ownAccount),
  },
  Mutation: {
    signUp: allow,
    login: allow,
    createRamUser: can('manage_ram_identity', ownAccount),
    disableRamUser: can('manage_ram_identity', argUser),
    enableRamUser: can('manage_ram_identity', argUser),
    deleteRamUser: can('manage_ram_identity', argUser),
    createRamRole: can('manage_ram_identity', ownAccount),
    deleteRamRole: can('manage_ram_identity', argRole),
    assumeRole: can('assume_role', (_p, args: { roleId: unknown }, ctx) => principalTarget(ctx, args.roleId, 'roleId', 'ramRole')),
    attachPolicy: can((args) => (isDataPolicy(args.input.policy) ? 'attach_data_policy' : 'attach_policy'), inputPrincipal),
    detachPolicy: can((args) => (isDataPolicy(args.input.policy) ? 'attach_data_policy' : 'attach_policy'), inputPrincipal),
    activateModelStudio: can('activate_model_studio', ownAccount),
    registerModelStudioUser: can('register_model_studio_user', (_p, args: { principalId: unknown }, ctx) =>
      principalTarget(ctx, args.principalId, 'principalId', 'ramUser', 'ramRole'),
    ),
    createWorkspace: can('create_workspace', ownAccount),
    renameWorkspace: can('rename_workspace', inputWorkspace),
    setMemberPermissions: can('manage_members', inputWorkspace),
    removeMember: can('manage_members', inputWorkspace),
    setModelAuthorization: can('authorize_model', inputWorkspace),
    setAllModelsAccess: can('authorize_model', inputWorkspace),
    setModelRateLimit: can('set_rate_limit', inputWorkspace),
    deleteModelRateLimit: can('set_rate_limit', inputWorkspace),
    createFineTunedModel: can('create_fine_tuned_model', inputWorkspace),
    createApiKey: can('create_api_key', inputWorkspace),
    deleteApiKey: can('delete_api_key', (_p, args: { id: unknown }, ctx) => apiKeyTarget(ctx, args.id, 'id')),
    createKnowledgeBase: can('manage_knowledge_bases', inputWorkspace),
    deleteKnowledgeBase: can('manage_knowledge_bases', (_p, args: { id: unknown }, ctx) =>
      knowledgeBaseTarget(ctx, args.id, 'id'),
    ),
  },
  Viewer: allow,
  Session: allow,
  RootPrincipal: { '*': allow, policies: can('read_principal', parentPrincipal) },
  RamUser: { '*': allow, policies: can('read_principal', parentPrincipal) },
  RamRole: {
    '*': allow,
    policies: can('read_principal', parentPrincipal),
    trustedUsers: can('read_ram_identities', parentPrincipal),
  },
  Account: {
    '*': allow,
    ramUsers: can('read_ram_identities', parentAccount),
    ramRoles: can('read_ram_identities', parentAccount),
    modelStudioUsers: can('read_model_studio_users', parentAccount),
  },
  Workspace: {
    '*': allow,
    memberCount: can('list_members', parentWorkspace),
    members: can('list_members', parentWorkspace),
    allModelsOpen: can('read_model_authorizations', parentWorkspace),
    modelAuthorizations: can('read_model_authorizations', parentWorkspace),
    rateLimits: can('read_model_authorizations', parentWorkspace),
    fineTunedModels: can('read_model_authorizations', parentWorkspace),
    apiKeys: can('list_api_keys', parentWorkspace),
    knowledgeBases: can('read_knowledge_bases', parentWorkspace),
  },
  Membership: {
    '*': allow,
    apiKeys: can('list_api_keys', async (m: { workspace_id: string }, _args, ctx) =>
      workspaceRowTarget((await ctx.loaders.workspaceById.load(m.workspace_id))!),
    ),
  },
  Model: allow,
  ModelAuthorization: allow,
  ModelRateLimit: allow,
  ModelAccess: allow,
  ApiKey: allow,
  CreatedApiKey: allow,
  KnowledgeBase: allow,
  AuditEvent: allow,
  AccessExplanation: allow,
  PageInfo: allow,
  RamUserConnection: allow,
  RamUserEdge: allow,
  RamRoleConnection: allow,
  RamRoleEdge: allow,
  PrincipalConnection: allow,
  PrincipalEdge: allow,
  WorkspaceConnection: allow,
  WorkspaceEdge: allow,
  MembershipConnection: allow,
  MembershipEdge: allow,
  ModelAuthorizationConnection: allow,
  ModelAuthorizationEdge: allow,
  ModelRateLimitConnection: allow,
  ModelRateLimitEdge: allow,
  ApiKeyConnection: allow,
  ApiKeyEdge: allow,
  KnowledgeBaseConnection: allow,
  KnowledgeBaseEdge: allow,
  AuditEventConnection: allow,
  AuditEventEdge: allow,
};

/** Denials carry FORBIDDEN; resolver errors keep their own codes (`allowExternalErrors`). */
const shieldMiddleware = shield(permissions, {
  fallbackRule: deny,
  fallbackError: () => forbidden(),
  allowExternalErrors: true,
  debug: false,
});

/** The rule `Type.field` resolves to in the tree (field, then the type's wildcard, then the type's rule). */
function ruleOf(typeName: string, field: string): unknown {
  const entry = (permissions as Record<string, unknown>)[typeName];
  // A field map is a plain object; a rule is an instance of shield's Rule classes.
  if (entry && Object.getPrototypeOf(entry) === Object.prototype) {
    const fields = entry as Record<string, unknown>;
    return fields[field] ?? fields['*'] ?? deny;
  }
  return entry ?? deny;
}

/**
 * graphql-shield wraps every field of the schema in an async middleware, `allow` ones
 * included, which costs a promise per field and doubles the cost of large lists (its
 * issues #416, #812). A field whose rule is `allow` gains nothing from the wrapper, so it is
 * left unwrapped; every other field keeps shield's middleware exactly as shield built it.
 */
export const permissionsMiddleware = middleware((schema) => {
  const generated = shieldMiddleware.generate(schema) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(
    Object.entries(generated).map(([typeName, fields]) => [
      typeName,
      Object.fromEntries(Object.entries(fields).filter(([field]) => ruleOf(typeName, field) !== allow)),
    ]),
  ) as IMiddleware;
});
