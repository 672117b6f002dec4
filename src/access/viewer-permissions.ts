import { asSignedIn, type SignedInContext } from '../context.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import type { IdKind } from '../ids.js';
import { NODE_KINDS } from '../node-kinds.js';
import { ABILITIES, type PermissionSubject } from '../policy/index.js';
import { decideFor } from './decide-for.js';
import { permissionField, SUBJECT_ABILITIES } from './viewer-permissions-sdl.js';

const KIND_OF_SUBJECT: Readonly<Record<PermissionSubject, IdKind>> = {
  Account: 'account',
  Workspace: 'workspace',
  ApiKey: 'apiKey',
  RamUser: 'ramUser',
  RamRole: 'ramRole',
  KnowledgeBase: 'knowledgeBase',
};

/**
 * One Boolean per ability that applies to the object, for the caller: the decisions the rules
 * of the operations take (`decideFor`, with the request's loaders and decision cache, so a list
 * of objects costs the statements of its memberships, once). An ability refused on a default
 * workspace whatever the grants reads false there.
 */
async function permissionsOn<Permissions>(ctx: SignedInContext, subject: PermissionSubject, row: unknown): Promise<Permissions> {
  const target = await NODE_KINDS[KIND_OF_SUBJECT[subject]].targetOf(ctx, row);
  const entries = await Promise.all(
    SUBJECT_ABILITIES[subject].map(async (ability) => {
      const onDefault = target.workspace?.kind === 'DEFAULT' && (ABILITIES[ability] as { subWorkspacesOnly?: true }).subWorkspacesOnly;
      const allowed = !onDefault && (await decideFor(ctx, ability, target)).allowed;
      return [permissionField(ability), allowed] as const;
    }),
  );
  // The fields of `<Type>Permissions` are generated from the same table: the object has them all.
  return Object.fromEntries(entries) as Permissions;
}

export const viewerPermissionResolvers: Resolvers = {
  Account: { viewerPermissions: (row, _args, ctx) => permissionsOn(asSignedIn(ctx), 'Account', row) },
  Workspace: { viewerPermissions: (row, _args, ctx) => permissionsOn(asSignedIn(ctx), 'Workspace', row) },
  ApiKey: { viewerPermissions: (row, _args, ctx) => permissionsOn(asSignedIn(ctx), 'ApiKey', row) },
  RamUser: { viewerPermissions: (row, _args, ctx) => permissionsOn(asSignedIn(ctx), 'RamUser', row) },
  RamRole: { viewerPermissions: (row, _args, ctx) => permissionsOn(asSignedIn(ctx), 'RamRole', row) },
  KnowledgeBase: { viewerPermissions: (row, _args, ctx) => permissionsOn(asSignedIn(ctx), 'KnowledgeBase', row) },
};
