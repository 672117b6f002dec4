import type { RequestContext } from '../context.js';
import { badUserInput, notFound } from '../errors.js';
import { idKind, isIdOf, type IdKind } from '../ids.js';
import type { WorkspaceRow } from '../workspaces/workspaces.table.js';

/** The resource an ability is checked against, with what the policy needs to know of it. */
export interface Target {
  resourceId: string;
  /** What the resource is called in a NOT_FOUND error: identical for missing and foreign resources. */
  label: string;
  /** The account that owns the resource. */
  accountId: string;
  workspace?: WorkspaceRow;
  /** The principal that owns the resource (an API key's owner). */
  ownerId?: string;
  /** For assume_role: the role. */
  roleId?: string;
}

function requireId(id: unknown, field: string, ...kinds: IdKind[]): string {
  if (typeof id !== 'string' || !isIdOf(id, ...kinds)) throw badUserInput(field, 'is not a well-formed ID of the expected type');
  return id;
}

/**
 * Another account's resource is refused as soon as it is read, before anything else is loaded:
 * it must cost the same statements as a missing ID, or the count would tell them apart.
 */
function requireOwnAccount(ctx: RequestContext, accountId: string, label: string) {
  if (accountId !== ctx.auth?.principal.account_id) throw notFound(label);
}

/** The caller's own account: for account-wide abilities (create a workspace, read the audit trail, …). */
export function accountTarget(ctx: RequestContext): Target {
  const accountId = ctx.auth!.principal.account_id;
  return { resourceId: accountId, label: 'Account', accountId };
}

export function workspaceRowTarget(workspace: WorkspaceRow): Target {
  return { resourceId: workspace.id, label: 'Workspace', accountId: workspace.account_id, workspace };
}

export async function workspaceTarget(ctx: RequestContext, id: unknown, field: string): Promise<Target> {
  const workspaceId = requireId(id, field, 'workspace');
  const workspace = await ctx.loaders.workspaceById.load(workspaceId);
  if (!workspace) throw notFound('Workspace');
  requireOwnAccount(ctx, workspace.account_id, 'Workspace');
  return workspaceRowTarget(workspace);
}

/** A RAM user or role (live): the target of identity operations. */
export async function principalTarget(ctx: RequestContext, id: unknown, field: string, ...kinds: IdKind[]): Promise<Target> {
  const principalId = requireId(id, field, ...(kinds.length ? kinds : (['ramUser', 'ramRole', 'root'] as IdKind[])));
  const principal = await ctx.loaders.principalById.load(principalId);
  if (!principal || principal.status === 'DELETED') throw notFound('Principal');
  requireOwnAccount(ctx, principal.account_id, 'Principal');
  return {
    resourceId: principal.id,
    label: 'Principal',
    accountId: principal.account_id,
    ownerId: principal.id,
    ...(principal.kind === 'ROLE' ? { roleId: principal.id } : {}),
  };
}

export async function apiKeyTarget(ctx: RequestContext, id: unknown, field: string): Promise<Target> {
  const keyId = requireId(id, field, 'apiKey');
  const key = await ctx.loaders.apiKeyById.load(keyId);
  if (!key) throw notFound('API key');
  requireOwnAccount(ctx, key.account_id, 'API key');
  const workspace = await ctx.loaders.workspaceById.load(key.workspace_id);
  if (!workspace) throw notFound('API key');
  return { resourceId: key.id, label: 'API key', accountId: key.account_id, workspace, ownerId: key.owner_id };
}

export async function knowledgeBaseTarget(ctx: RequestContext, id: unknown, field: string): Promise<Target> {
  const kbId = requireId(id, field, 'knowledgeBase');
  const kb = await ctx.loaders.knowledgeBaseById.load(kbId);
  if (!kb) throw notFound('Knowledge base');
  requireOwnAccount(ctx, kb.account_id, 'Knowledge base');
  const workspace = await ctx.loaders.workspaceById.load(kb.workspace_id);
  if (!workspace) throw notFound('Knowledge base');
  return { resourceId: kb.id, label: 'Knowledge base', accountId: kb.account_id, workspace, ownerId: kb.created_by };
}

/** Any resource by its global ID (explainAccess). */
export async function anyTarget(ctx: RequestContext, id: string, field: string): Promise<Target> {
  switch (idKind(id)) {
    case 'account':
      if (!(await ctx.loaders.accountById.load(id))) throw notFound('Account');
      return { resourceId: id, label: 'Account', accountId: id };
    case 'workspace':
      return workspaceTarget(ctx, id, field);
    case 'apiKey':
      return apiKeyTarget(ctx, id, field);
    case 'knowledgeBase':
      return knowledgeBaseTarget(ctx, id, field);
    case 'ramUser':
    case 'ramRole':
    case 'root':
      return principalTarget(ctx, id, field);
    default:
      throw badUserInput(field, 'is not a well-formed ID of an account, workspace, principal, API key or knowledge base');
  }
}
