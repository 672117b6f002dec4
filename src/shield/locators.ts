import { accountTarget, anyTarget, workspaceRowTarget, type Target } from '../access/targets.js';
import type { RequestContext } from '../context.js';
import { badUserInput } from '../errors.js';
import type { PrincipalRow } from '../identity/identity.table.js';
import { ID_PREFIX, idKind, isIdOf, type IdKind } from '../ids.js';
import type { MembershipRow, WorkspaceRow } from '../workspaces/workspaces.table.js';
import type { ResourceSpec } from './declarations.js';

/** A resource located for a decision, with its GraphQL type (some abilities depend on it). */
export interface Located {
  target: Target;
  type: string;
}

const principalTarget = (p: Pick<PrincipalRow, 'id' | 'account_id' | 'kind'>): Target => ({
  resourceId: p.id,
  label: 'Principal',
  accountId: p.account_id,
  ownerId: p.id,
  ...(p.kind === 'ROLE' ? { roleId: p.id } : {}),
});

const PRINCIPAL_TYPE = { ROOT: 'RootPrincipal', USER: 'RamUser', ROLE: 'RamRole' } as const;

/** How a field finds its resource in its parent object (`@can` with resource PARENT). */
const PARENT_LOCATORS: Record<string, (parent: any, ctx: RequestContext) => Target | Promise<Target>> = {
  Account: (account: { id: string }) => ({ resourceId: account.id, label: 'Account', accountId: account.id }),
  RootPrincipal: principalTarget,
  RamUser: principalTarget,
  RamRole: principalTarget,
  Workspace: (workspace: WorkspaceRow) => workspaceRowTarget(workspace),
  // A membership's fields are about its workspace.
  Membership: async (membership: MembershipRow, ctx) => workspaceRowTarget((await ctx.loaders.workspaceById.load(membership.workspace_id))!),
};

export const PARENT_TYPES: ReadonlySet<string> = new Set(Object.keys(PARENT_LOCATORS));

/** The GraphQL type of each kind of global ID. */
const TYPE_OF_KIND: Record<IdKind, string> = {
  account: 'Account',
  root: 'RootPrincipal',
  ramUser: 'RamUser',
  ramRole: 'RamRole',
  workspace: 'Workspace',
  apiKey: 'ApiKey',
  knowledgeBase: 'KnowledgeBase',
  auditEvent: 'AuditEvent',
};
const KIND_OF_TYPE = Object.fromEntries(Object.entries(TYPE_OF_KIND).map(([kind, type]) => [type, kind as IdKind]));

export const NODE_TYPES: ReadonlySet<string> = new Set(Object.values(TYPE_OF_KIND));

const valueAt = (args: Record<string, unknown>, path: readonly string[]): unknown =>
  path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), args);

/** Finds the resource a `@can` declaration is about. Malformed IDs are BAD_USER_INPUT; missing or foreign ones NOT_FOUND. */
export async function locate(spec: ResourceSpec, parent: unknown, args: Record<string, unknown>, ctx: RequestContext, parentType: string): Promise<Located> {
  switch (spec.source) {
    case 'PARENT':
      return { target: await PARENT_LOCATORS[parentType]!(parent, ctx), type: parentType };
    case 'ACCOUNT':
      return { target: accountTarget(ctx), type: 'Account' };
    case 'SELF':
      return { target: principalTarget(ctx.auth!.principal), type: PRINCIPAL_TYPE[ctx.auth!.principal.kind] };
    case 'ARGUMENT': {
      const id = valueAt(args, spec.argument!);
      if (id == null && spec.otherwise) return locate({ source: spec.otherwise }, parent, args, ctx, parentType);
      return locateById(ctx, id, spec.argument!.join('.'), spec.types);
    }
  }
}

async function locateById(ctx: RequestContext, id: unknown, field: string, types: readonly string[] | undefined): Promise<Located> {
  if (types && (typeof id !== 'string' || !isIdOf(id, ...types.map((type) => KIND_OF_TYPE[type]!)))) {
    throw badUserInput(field, 'is not a well-formed ID of the expected type');
  }
  const text = String(id);
  // An audit event belongs to the caller's own trail, or reads as missing (its resolver looks there only).
  if (text.startsWith(ID_PREFIX.auditEvent)) return { target: { ...accountTarget(ctx), label: 'Audit event' }, type: 'AuditEvent' };
  const target = await anyTarget(ctx, text, field);
  return { target, type: TYPE_OF_KIND[idKind(text)!] };
}
