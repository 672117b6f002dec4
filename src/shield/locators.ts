import type { Target } from '../access/targets.js';
import type { SignedInContext } from '../context.js';
import { mustExist } from '../db/must-exist.js';
import { accountRowTarget, accountTarget, locateNode, principalRowTarget, workspaceRowTarget, type LocatedNode } from '../node-kinds.js';
import type { MembershipRow, WorkspaceRow } from '../workspaces/workspaces.table.js';
import type { ResourceSpec } from './declarations.js';

/** A resource located for a decision, with its GraphQL type and, for objects with a global ID, the ability that reads it. */
export type Located = Pick<LocatedNode, 'target' | 'type'> & Partial<Pick<LocatedNode, 'readAbility'>>;

const PRINCIPAL_TYPE = { ROOT: 'RootPrincipal', USER: 'RamUser', ROLE: 'RamRole' } as const;

type ParentLocator = (parent: never, ctx: SignedInContext) => Target | Promise<Target>;

/** Parents that are their resource's row: located without loading anything. */
const ROW_LOCATORS: Record<string, (parent: never) => Target> = {
  Account: accountRowTarget,
  RootPrincipal: principalRowTarget,
  RamUser: principalRowTarget,
  RamRole: principalRowTarget,
  Workspace: (workspace: WorkspaceRow) => workspaceRowTarget(workspace),
};

/**
 * Parents whose resource is loaded: what their target depends on, how to locate it, and how to
 * tell it without a promise when the request already holds the resource's row.
 */
const LOADED_PARENTS: Record<
  string,
  { key: (parent: never) => string; locate: ParentLocator; now: (parent: never, ctx: SignedInContext) => Target | undefined }
> = {
  // A membership's fields are about its workspace.
  Membership: {
    key: (membership: MembershipRow) => membership.workspace_id,
    locate: async (membership: MembershipRow, ctx) =>
      workspaceRowTarget(mustExist(await ctx.loaders.workspaceById.load(membership.workspace_id), 'workspace')),
    now: (membership: MembershipRow, ctx) => {
      const workspace = ctx.loaders.workspaceById.peek(membership.workspace_id);
      return workspace ? workspaceRowTarget(workspace) : undefined;
    },
  },
};

/** The target of a parent without I/O: its row, or a row the request holds; undefined when it must be loaded. */
export const parentTargetNow = (parentType: string, parent: unknown, ctx: SignedInContext): Target | undefined =>
  ROW_LOCATORS[parentType]?.(parent as never) ?? LOADED_PARENTS[parentType]?.now(parent as never, ctx);

/** How a field finds its resource in its parent object (`@can` with resource PARENT). */
const PARENT_LOCATORS: Record<string, ParentLocator> = {
  ...ROW_LOCATORS,
  ...Object.fromEntries(Object.entries(LOADED_PARENTS).map(([type, { locate }]) => [type, locate])),
};

export const PARENT_TYPES: ReadonlySet<string> = new Set(Object.keys(PARENT_LOCATORS));

/**
 * What a parent's located target depends on: parents of a type with the same key have the same
 * target (every member of a page is about its workspace; a row is its resource).
 * src/shield/rules.ts keys a rule's first answer by it.
 */
export const parentKeyOf = (parentType: string, parent: unknown): string | undefined =>
  LOADED_PARENTS[parentType]?.key(parent as never) ?? ROW_LOCATORS[parentType]?.(parent as never).resourceId;

const valueAt = (args: Record<string, unknown>, path: readonly string[]): unknown =>
  path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), args);

/** Finds the resource a `@can` declaration is about. Malformed IDs are BAD_USER_INPUT; missing or foreign ones NOT_FOUND. */
export async function locate(
  spec: ResourceSpec,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: SignedInContext,
  parentType: string,
): Promise<Located> {
  switch (spec.source) {
    case 'PARENT': {
      // Declared only on types with a locator (checked when the schema is built); the parent is that type's row.
      const locateIn = mustExist(PARENT_LOCATORS[parentType], `the parent locator of ${parentType}`);
      return { target: await locateIn(parent as never, ctx), type: parentType };
    }
    case 'ACCOUNT':
      return { target: accountTarget(ctx), type: 'Account' };
    case 'SELF':
      return { target: principalRowTarget(ctx.auth.principal), type: PRINCIPAL_TYPE[ctx.auth.principal.kind] };
    case 'ARGUMENT': {
      const id = valueAt(args, spec.argument);
      if (id == null && spec.otherwise) return locate({ source: spec.otherwise }, parent, args, ctx, parentType);
      return locateNode(ctx, id, spec.argument.join('.'), spec.types);
    }
  }
}
