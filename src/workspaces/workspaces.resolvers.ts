import { asSignedIn } from '../context.js';
import { membershipKey } from './workspaces.loaders.js';
import { listPrincipals } from '../identity/identity.repository.js';
import { actorOf, listFilterFor } from '../access/decide-for.js';
import { accountTarget, workspaceRowTarget } from '../node-kinds.js';
import { listApiKeys } from '../api-keys/api-keys.repository.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import { listKnowledgeBases } from '../knowledge-bases/knowledge-bases.repository.js';
import { listAuthorizations, listRateLimits } from '../models/models.repository.js';
import { visibleMemberships, workspaceRole, type Page, type PolicyName } from '../policy/index.js';
import { byCreation, connection, countedConnection, primingJoined, selectedFields, type Cursor } from '../relay/connection.js';
import { apiKeysKey } from '../api-keys/api-keys.loaders.js';
import { countWorkspaces, listMembers, listWorkspaces } from './workspaces.repository.js';
import * as workspaces from './workspaces.service.js';
import type { MembershipRow } from './workspaces.table.js';
import { andThen } from '../known-loader.js';

const byMembership = (m: MembershipRow): Cursor => [m.created_at.toISOString(), m.principal_id];
const byModel = (row: { model_id: string }): Cursor => ['', row.model_id];

export const workspaceResolvers: Resolvers = {
  Workspace: {
    region: (w) => w.region as never,
    memberCount: (w, _args, ctx) => ctx.loaders.memberCountByWorkspaceId.load(w.id),
    // A page of members brings each principal along, and one of authorizations each model.
    // Whoever may read the list reads all of it: its count is the workspace's member count.
    // The members' keys come in the same statement when the query asks for them.
    members: (w, args, ctx, info) =>
      countedConnection(
        args,
        async (page) => {
          const members = await listMembers(ctx.db, w.id, page, selectedFields(info, ['edges', 'node']).has('apiKeys'));
          for (const { node, apiKeys } of members) {
            if (apiKeys) ctx.loaders.apiKeysByWorkspaceOwner.prime(apiKeysKey(node.workspace_id, node.principal_id), apiKeys);
          }
          return primingJoined(members, ctx.loaders.principalById);
        },
        byMembership,
        info,
        () => ctx.loaders.memberCountByWorkspaceId.load(w.id),
      ),
    modelAuthorizations: (w, args, ctx) =>
      connection(args, async (page) => primingJoined(await listAuthorizations(ctx.db, w.id, page), ctx.loaders.modelById), byModel),
    candidateMembers: (w, args, ctx) =>
      connection(args, (page) => listPrincipals(ctx.db, w.account_id, { candidatesFor: w.id }, page), byCreation),
    viewerPages: async (w, _args, ctx) =>
      ((await ctx.loaders.membership.load(membershipKey(w.id, asSignedIn(ctx).auth.principal.id)))?.pages ?? []) as Page[],
    rateLimits: (w, args, ctx) =>
      connection(args, async (page) => primingJoined(await listRateLimits(ctx.db, w.id, page), ctx.loaders.modelById), byModel),
    apiKeys: async (w, args, ctx, info) => {
      // The policy says how much of the list the caller sees: all keys, or its own; the count says as much.
      const visible = await listFilterFor(ctx, 'list_api_keys', workspaceRowTarget(w));
      const count = async () =>
        visible.kind === 'OWNED_BY'
          ? (await ctx.loaders.apiKeysByWorkspaceOwner.load(apiKeysKey(w.id, visible.principalId))).length
          : w.api_key_count;
      return countedConnection(args, (page) => listApiKeys(ctx.db, w.id, visible, page), byCreation, info, count);
    },
    knowledgeBases: (w, args, ctx) => connection(args, (page) => listKnowledgeBases(ctx.db, w.id, page), byCreation),
    fineTunedModels: (w, _args, ctx) => ctx.loaders.fineTunedModelsByWorkspaceId.load(w.id),
  },
  Membership: {
    // A page of members primes their principals (and its workspace is loaded): no promise then.
    principal: (m, _args, ctx) => ctx.loaders.principalById.loadExisting(m.principal_id, 'principal'),
    workspace: (m, _args, ctx) => ctx.loaders.workspaceById.loadExisting(m.workspace_id, 'workspace'),
    // The principal comes with its policies (src/identity/identity.loaders.ts).
    role: (m, _args, ctx) =>
      andThen(ctx.loaders.principalById.loadExisting(m.principal_id, 'principal'), (principal) => {
        const policies = principal.kind === 'ROOT' ? [] : (principal.policies as PolicyName[]);
        return workspaceRole({ kind: principal.kind, policies: new Set(policies) }, new Set(m.pages as Page[]));
      }),
  },
  Viewer: {
    memberships: async (auth, _args, ctx) => {
      const memberships = await ctx.loaders.membershipsByPrincipalId.load(auth.principal.id);
      return visibleMemberships(await actorOf(ctx, auth), memberships);
    },
  },
  Query: {
    workspace: (_root, { id }, ctx) => ctx.loaders.workspaceById.load(id),
    workspaces: async (_root, args, ctx, info) => {
      const visible = await listFilterFor(ctx, 'list_workspaces', accountTarget(ctx));
      const accountId = ctx.auth.principal.account_id;
      const region = args.region ?? null;
      return countedConnection(
        args,
        (page) => listWorkspaces(ctx.db, accountId, region, visible, page),
        byCreation,
        info,
        () => countWorkspaces(ctx.db, accountId, region, visible),
      );
    },
  },
  Mutation: {
    activateModelStudio: (_root, { input }, ctx) => workspaces.activateModelStudio(ctx, input),
    registerModelStudioUser: (_root, { principalId }, ctx) => workspaces.registerModelStudioUser(ctx, principalId),
    createWorkspace: (_root, { input }, ctx) => workspaces.createWorkspace(ctx, input),
    renameWorkspace: (_root, { input }, ctx) => workspaces.renameWorkspace(ctx, input),
    setMemberPermissions: (_root, { input }, ctx) => workspaces.setMemberPermissions(ctx, input),
    removeMember: (_root, { input }, ctx) => workspaces.removeMember(ctx, input),
  },
};
