import type { Target } from './access/targets.js';
import { findAuditEvent } from './audit/audit.repository.js';
import type { SignedInContext } from './context.js';
import { badUserInput, notFound } from './errors.js';
import type { PrincipalRow } from './identity/identity.table.js';
import { ID_PREFIX, idKind, isIdOf, type IdKind } from './ids.js';
import { inCallersAccount, type Ability } from './policy/index.js';
import type { WorkspaceRow } from './workspaces/workspaces.table.js';

/**
 * Every kind of object with a global ID, in one place: its GraphQL type, the ability that reads
 * it, how it is loaded and what the policy is told about it. (The ID formats themselves live in
 * src/ids.ts, which repositories import to mint IDs.)
 */
interface NodeKind {
  type: string;
  /** What it is called in NOT_FOUND errors: identical for missing and foreign objects. */
  label: string;
  readAbility: Ability;
  /** The object, through the request's loaders; null when missing, deleted or (audit events) not the caller's. */
  load(ctx: SignedInContext, id: string): Promise<any>;
  /** The account that owns a loaded object. */
  accountIdOf?: (row: any) => string;
  /** What the policy needs to know of a loaded object of the caller's own account. */
  target(ctx: SignedInContext, row: any): Target | Promise<Target>;
}

export const workspaceRowTarget = (workspace: WorkspaceRow): Target => ({
  resourceId: workspace.id,
  label: 'Workspace',
  accountId: workspace.account_id,
  workspace,
});

export const principalRowTarget = (principal: Pick<PrincipalRow, 'id' | 'account_id' | 'kind'>): Target => ({
  resourceId: principal.id,
  label: 'Principal',
  accountId: principal.account_id,
  ownerId: principal.id,
  ...(principal.kind === 'ROLE' ? { roleId: principal.id } : {}),
});

export const accountRowTarget = (account: { id: string }): Target => ({ resourceId: account.id, label: 'Account', accountId: account.id });

/** The caller's own account: for account-wide abilities (create a workspace, read the audit trail, …). */
export function accountTarget(ctx: SignedInContext): Target {
  const accountId = ctx.auth.principal.account_id;
  return { resourceId: accountId, label: 'Account', accountId };
}

const livePrincipal = async (ctx: SignedInContext, id: string) => {
  const principal = await ctx.loaders.principalById.load(id);
  return principal?.status === 'DELETED' ? null : principal;
};

/** An object that lives in a workspace: the policy decides on that workspace. */
const inWorkspace = async (ctx: SignedInContext, row: { id: string; account_id: string; workspace_id: string }, label: string, ownerId: string) => {
  const workspace = await ctx.loaders.workspaceById.load(row.workspace_id);
  if (!workspace) throw notFound(label);
  return { resourceId: row.id, label, accountId: row.account_id, workspace, ownerId };
};

const principalKind = (type: string): NodeKind => ({
  type,
  label: 'Principal',
  readAbility: 'read_principal',
  load: livePrincipal,
  target: (_ctx, principal: PrincipalRow) => principalRowTarget(principal),
});

export const NODE_KINDS: Record<IdKind, NodeKind> = {
  account: {
    type: 'Account',
    label: 'Account',
    readAbility: 'read_account',
    load: (ctx, id) => ctx.loaders.accountById.load(id),
    accountIdOf: (account: { id: string }) => account.id,
    target: (_ctx, account: { id: string }) => accountRowTarget(account),
  },
  root: principalKind('RootPrincipal'),
  ramUser: principalKind('RamUser'),
  ramRole: principalKind('RamRole'),
  workspace: {
    type: 'Workspace',
    label: 'Workspace',
    readAbility: 'read_workspace',
    load: (ctx, id) => ctx.loaders.workspaceById.load(id),
    target: (_ctx, workspace: WorkspaceRow) => workspaceRowTarget(workspace),
  },
  apiKey: {
    type: 'ApiKey',
    label: 'API key',
    readAbility: 'read_api_key',
    load: (ctx, id) => ctx.loaders.apiKeyById.load(id),
    target: (ctx, key) => inWorkspace(ctx, key, 'API key', key.owner_id),
  },
  knowledgeBase: {
    type: 'KnowledgeBase',
    label: 'Knowledge base',
    readAbility: 'read_knowledge_bases',
    load: (ctx, id) => ctx.loaders.knowledgeBaseById.load(id),
    target: (ctx, kb) => inWorkspace(ctx, kb, 'Knowledge base', kb.created_by),
  },
  auditEvent: {
    type: 'AuditEvent',
    label: 'Audit event',
    readAbility: 'read_audit',
    // The caller's own trail is the only place looked in: another account's event reads as missing.
    load: (ctx, id) => findAuditEvent(ctx.db, ctx.auth.principal.account_id, id.slice(ID_PREFIX.auditEvent.length)),
    target: (ctx) => ({ ...accountTarget(ctx), label: 'Audit event' }),
  },
};

const KIND_OF_TYPE = new Map(Object.entries(NODE_KINDS).map(([kind, node]) => [node.type, kind as IdKind]));
export const NODE_TYPES: ReadonlySet<string> = new Set(KIND_OF_TYPE.keys());

/** A loaded object of the caller's account with what the policy needs, found by its global ID. */
export interface LocatedNode {
  target: Target;
  type: string;
  readAbility: Ability;
  row: unknown;
}

/**
 * Finds the object a global ID names. A malformed ID, or one of a type not in `types`, is
 * BAD_USER_INPUT naming `field`; a missing object and another account's read alike (NOT_FOUND),
 * and the account is checked before anything more is loaded, so that neither costs more.
 */
export async function locateNode(ctx: SignedInContext, id: unknown, field: string, types?: readonly string[]): Promise<LocatedNode> {
  const kinds = types?.map((type) => KIND_OF_TYPE.get(type)!);
  const kind = typeof id === 'string' ? idKind(id) : null;
  if (kind === null || (kinds && !isIdOf(id as string, ...kinds))) {
    throw badUserInput(field, kinds ? 'is not a well-formed ID of the expected type' : 'is not a well-formed global ID');
  }
  const node = NODE_KINDS[kind];
  const row = await node.load(ctx, id as string);
  if (!row || !inCallersAccount(ctx.auth.principal.account_id, node.accountIdOf?.(row) ?? row.account_id)) throw notFound(node.label);
  return { target: await node.target(ctx, row), type: node.type, readAbility: node.readAbility, row };
}

/** The GraphQL type of a row served as a `Node` (audit rows carry their bare public ID, the others their global ID). */
export const nodeTypeOf = (row: { id: string }) => NODE_KINDS[idKind(row.id) ?? 'auditEvent'].type;
