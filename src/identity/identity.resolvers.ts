import type { GraphQLResolveInfo } from 'graphql';
import type { SignedInContext } from '../context.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import { isSuperAdministrator, type PolicyName } from '../policy/index.js';
import { byCreation, connection, countedConnection, type PageArgs } from '../relay/connection.js';
import * as lifecycle from './identity-lifecycle.service.js';
import * as identity from './identity.service.js';
import { countPrincipals, listPrincipals, type PrincipalFilter } from './identity.repository.js';
import type { AccountRow, PrincipalRow, PrincipalView } from './identity.table.js';
import { mustExist } from '../db/must-exist.js';
import { andThen } from '../known-loader.js';

const PRINCIPAL_KIND = { ROOT: 'ROOT', USER: 'RAM_USER', ROLE: 'RAM_ROLE' } as const;
const PRINCIPAL_TYPE = { ROOT: 'RootPrincipal', USER: 'RamUser', ROLE: 'RamRole' } as const;
const USERS: PrincipalFilter = { kind: 'USER' };
const ROLES: PrincipalFilter = { kind: 'ROLE' };

/** Fields every principal type resolves alike. */
const principalFields = {
  kind: (p: PrincipalRow) => PRINCIPAL_KIND[p.kind],
  createdAt: (p: PrincipalRow) => p.created_at,
  registeredInModelStudio: (p: PrincipalRow) => p.model_studio_registered_at !== null,
  policies: async (p: PrincipalRow, _args: unknown, ctx: Parameters<typeof policiesOf>[1]) => policiesOf(p, ctx),
};

async function policiesOf(p: PrincipalRow, ctx: { loaders: { policiesByPrincipalId: { load(id: string): Promise<PolicyName[]> } } }) {
  return p.kind === 'ROOT' ? [] : ctx.loaders.policiesByPrincipalId.load(p.id);
}

/** An account's RAM users or roles, counted when `totalCount` is asked for. */
const principalsOfKind = (filter: PrincipalFilter) => (a: AccountRow, args: PageArgs, ctx: SignedInContext, info: GraphQLResolveInfo) =>
  countedConnection(
    args,
    (page) => listPrincipals(ctx.db, a.id, filter, page),
    byCreation,
    info,
    () => countPrincipals(ctx.db, a.id, filter),
  );

export const identityResolvers: Resolvers = {
  Principal: { __resolveType: (p) => PRINCIPAL_TYPE[p.kind] },
  RootPrincipal: {
    ...principalFields,
    email: async (p, _args, ctx) => mustExist(await ctx.loaders.accountById.load(p.account_id), 'account').email,
  },
  RamUser: {
    ...principalFields,
    displayName: (p) => p.display_name ?? p.name,
    // The account's name comes with the principal as loaded (a page's members are primed with it).
    loginName: (p, _args, ctx) =>
      andThen(ctx.loaders.principalById.loadExisting(p.id, 'principal'), (found) => `${p.name}@${found.account_name}`),
  },
  RamRole: {
    ...principalFields,
    description: (p) => p.description ?? '',
    trustedUsers: async (role, _args, ctx) => {
      const ids = await ctx.loaders.trustedUserIdsByRoleId.load(role.id);
      const users = await ctx.loaders.principalById.loadMany(ids);
      return users.filter((u): u is PrincipalView => !!u && !(u instanceof Error) && u.status !== 'DELETED');
    },
  },
  Account: {
    ramUsers: principalsOfKind(USERS),
    ramRoles: principalsOfKind(ROLES),
    modelStudioUsers: (a, args, ctx) =>
      connection(args, (page) => listPrincipals(ctx.db, a.id, { registeredOnly: true }, page), byCreation),
  },
  Viewer: {
    account: async (auth, _args, ctx) => mustExist(await ctx.loaders.accountById.load(auth.principal.account_id), 'account'),
    policies: (auth, _args, ctx) => policiesOf(auth.principal, ctx),
    isSuperAdministrator: async (auth, _args, ctx) =>
      isSuperAdministrator({ kind: auth.principal.kind, policies: new Set(await policiesOf(auth.principal, ctx)) }),
    credential: (auth) => auth.via,
    assumedBy: (auth) => auth.assumedBy,
  },
  Query: {
    viewer: (_root, _args, ctx) => ctx.auth,
    account: async (_root, _args, ctx) => mustExist(await ctx.loaders.accountById.load(ctx.auth.principal.account_id), 'account'),
  },
  Mutation: {
    signUp: (_root, { input }, ctx) => identity.signUp(ctx, input),
    login: (_root, { input }, ctx) => identity.login(ctx, input),
    createRamUser: (_root, { input }, ctx) => identity.createRamUser(ctx, input),
    disableRamUser: (_root, { id }, ctx) => identity.setUserStatus(ctx, 'disableRamUser', id, 'DISABLED'),
    enableRamUser: (_root, { id }, ctx) => identity.setUserStatus(ctx, 'enableRamUser', id, 'ACTIVE'),
    deleteRamUser: (_root, { id }, ctx) => identity.setUserStatus(ctx, 'deleteRamUser', id, 'DELETED'),
    createRamRole: (_root, { input }, ctx) => identity.createRamRole(ctx, input),
    deleteRamRole: (_root, { id }, ctx) => identity.setUserStatus(ctx, 'deleteRamRole', id, 'DELETED'),
    assumeRole: (_root, { roleId, durationSeconds }, ctx) => identity.assumeRole(ctx, roleId, durationSeconds),
    changePassword: (_root, { input }, ctx) => lifecycle.changePassword(ctx, input),
    resetRamUserPassword: (_root, { input }, ctx) => lifecycle.resetRamUserPassword(ctx, input),
    updateRamRole: (_root, { input }, ctx) => lifecycle.updateRamRole(ctx, input),
    revokeSessions: (_root, { principalId }, ctx) => lifecycle.revokeSessions(ctx, principalId),
    attachPolicy: async (_root, { input }, ctx) =>
      mustExist(
        await ctx.loaders.principalById.load(await identity.changePolicy(ctx, 'attachPolicy', input.principalId, input.policy)),
        'principal',
      ),
    detachPolicy: async (_root, { input }, ctx) =>
      mustExist(
        await ctx.loaders.principalById.load(await identity.changePolicy(ctx, 'detachPolicy', input.principalId, input.policy)),
        'principal',
      ),
  },
};
