import type { Target } from './access/targets.js';
import { findAuditEvent } from './audit/audit.repository.js';
import type { SignedInContext } from './context.js';
import { badUserInput, notFound } from './errors.js';
import type { PrincipalRow } from './identity/identity.table.js';
import { mustExist } from './db/must-exist.js';
import { ID_PREFIX, idKind, isIdOf, type IdKind } from './ids.js';
import { inCallersAccount, type Ability } from './policy/index.js';
import type { WorkspaceRow } from './workspaces/workspaces.table.js';

/**
 * Every kind of object with a global ID, in one place: its GraphQL type, the ability that reads
 * it, how it is loaded and what the policy is told about it. (The ID formats themselves live in
 * src/ids.ts, which repositories import to mint IDs.)
 */
interface NodeKindSpec<Row> {
  type: string;
  /** What it is called in NOT_FOUND errors: identical for missing and foreign objects. */
  label: string;
  readAbility: Ability;
  /** The object, through the request's loaders; null when missing, deleted or (audit events) not the caller's. */
  load(ctx: SignedInContext, id: string): Promise<Row | null | undefined>;
  /** The account that owns a loaded object. */
  accountIdOf(row: NoInfer<Row>): string;
  /** What the policy needs to know of a loaded object of the caller's own account. */
  target(ctx: SignedInContext, row: NoInfer<Row>): Target | Promise<Target>;
}

/** A kind with its row type sealed in: what `locateNode` works with. */
interface NodeKind extends Pick<NodeKindSpec<unknown>, 'type' | 'label' | 'readAbility'> {
  find(ctx: SignedInContext, id: string): Promise<{ row: unknown; accountId: string; target: () => Target | Promise<Target> } | null>;
  /** What the policy is told about a row of this kind already loaded (and served) in the caller's account. */
  targetOf(ctx: SignedInContext, row: unknown): Target | Promise<Target>;
}

function nodeKind<Row>(spec: NodeKindSpec<Row>): NodeKind {
  const { type, label, readAbility } = spec;
  return {
    type,
    label,
    readAbility,
    async find(ctx, id) {
      const row = await spec.load(ctx, id);
      return row ? { row, accountId: spec.accountIdOf(row), target: () => spec.target(ctx, row) } : null;
    },
    targetOf: (ctx, row) => spec.target(ctx, row as Row),
  };
}

const ownAccountId = (row: { account_id: string }) => row.account_id;

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

type WorkspaceResourceRow = { id: string; account_id: string; workspace_id: string };

/** An object that lives in a workspace: the policy decides on that workspace, knowing the object's owner. */
const workspaceResourceKind = <Row extends WorkspaceResourceRow>(
  spec: Pick<NodeKindSpec<Row>, 'type' | 'label' | 'readAbility' | 'load'> & { ownerIdOf(row: Row): string },
) =>
  nodeKind<Row>({
    ...spec,
    accountIdOf: ownAccountId,
    target: async (ctx, row) => {
      const workspace = await ctx.loaders.workspaceById.load(row.workspace_id);
      if (!workspace) throw notFound(spec.label);
      return { resourceId: row.id, label: spec.label, accountId: row.account_id, workspace, ownerId: spec.ownerIdOf(row) };
    },
  });

const principalKind = (type: string) =>
  nodeKind({
    type,
    label: 'Principal',
    readAbility: 'read_principal',
    load: livePrincipal,
    accountIdOf: ownAccountId,
    target: (_ctx, p) => principalRowTarget(p),
  });

export const NODE_KINDS: Record<IdKind, NodeKind> = {
  account: nodeKind({
    type: 'Account',
    label: 'Account',
    readAbility: 'read_account',
    load: (ctx, id) => ctx.loaders.accountById.load(id),
    accountIdOf: (account) => account.id,
    target: (_ctx, account) => accountRowTarget(account),
  }),
  root: principalKind('RootPrincipal'),
  ramUser: principalKind('RamUser'),
  ramRole: principalKind('RamRole'),
  workspace: nodeKind({
    type: 'Workspace',
    label: 'Workspace',
    readAbility: 'read_workspace',
    load: (ctx, id) => ctx.loaders.workspaceById.load(id),
    accountIdOf: ownAccountId,
    target: (_ctx, workspace) => workspaceRowTarget(workspace),
  }),
  apiKey: workspaceResourceKind({
    type: 'ApiKey',
    label: 'API key',
    readAbility: 'read_api_key',
    load: (ctx, id) => ctx.loaders.apiKeyById.load(id),
    ownerIdOf: (key) => key.owner_id,
  }),
  // A pair is its user's: the policy decides on the user, as for the user's other attributes.
  accessKey: nodeKind({
    type: 'AccessKey',
    label: 'AccessKey pair',
    readAbility: 'manage_access_keys',
    load: (ctx, id) => ctx.loaders.accessKeyById.load(id),
    accountIdOf: ownAccountId,
    target: async (ctx, accessKey) =>
      principalRowTarget(mustExist(await ctx.loaders.principalById.load(accessKey.principal_id), 'principal')),
  }),
  knowledgeBase: workspaceResourceKind({
    type: 'KnowledgeBase',
    label: 'Knowledge base',
    readAbility: 'read_knowledge_bases',
    load: (ctx, id) => ctx.loaders.knowledgeBaseById.load(id),
    ownerIdOf: (kb) => kb.created_by,
  }),
  auditEvent: nodeKind({
    type: 'AuditEvent',
    label: 'Audit event',
    readAbility: 'read_audit',
    // The caller's own trail is the only place looked in: another account's event reads as missing.
    load: (ctx, id) => findAuditEvent(ctx.db, ctx.auth.principal.account_id, id.slice(ID_PREFIX.auditEvent.length)),
    accountIdOf: ownAccountId,
    target: (ctx) => ({ ...accountTarget(ctx), label: 'Audit event' }),
  }),
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
  // `types` were checked against this registry when the schema was built.
  const kinds = types?.flatMap((type) => KIND_OF_TYPE.get(type) ?? []);
  const kind = typeof id === 'string' ? idKind(id) : null;
  if (kind === null || (kinds && !isIdOf(id as string, ...kinds))) {
    throw badUserInput(field, kinds ? 'is not a well-formed ID of the expected type' : 'is not a well-formed global ID');
  }
  const node = NODE_KINDS[kind];
  const found = await node.find(ctx, id as string);
  if (!found || !inCallersAccount(ctx.auth.principal.account_id, found.accountId)) throw notFound(node.label);
  return { target: await found.target(), type: node.type, readAbility: node.readAbility, row: found.row };
}

/** The GraphQL type of a row served as a `Node` (audit rows carry their bare public ID, the others their global ID). */
export const nodeTypeOf = (row: { id: string }) => NODE_KINDS[idKind(row.id) ?? 'auditEvent'].type;
