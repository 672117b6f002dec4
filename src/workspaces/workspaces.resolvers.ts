import { actorOf, listFilterFor } from '../access/decide-for.js';
import { accountTarget, workspaceRowTarget } from '../node-kinds.js';
import { listApiKeys } from '../api-keys/api-keys.repository.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import { listKnowledgeBases } from '../knowledge-bases/knowledge-bases.repository.js';
import { listAuthorizations, listRateLimits } from '../models/models.repository.js';
import { visibleMemberships, workspaceRole, type Page, type PolicyName } from '../policy/index.js';
import { byCreation, pageRequest, toConnection, type Cursor } from '../relay/connection.js';
import { listMembers, listWorkspaces } from './workspaces.repository.js';
import * as workspaces from './workspaces.service.js';
import type { MembershipRow } from './workspaces.table.js';
import { mustExist } from '../db/must-exist.js';

const byMembership = (m: MembershipRow): Cursor => [m.created_at.toISOString(), m.principal_id];
const byModel = (row: { model_id: string }): Cursor => ['', row.model_id];

export const workspaceResolvers: Resolvers = {
  Workspace: {
    createdAt: (w) => w.created_at,
    region: (w) => w.region as never,
    allModelsOpen: (w) => w.all_models_open,
    memberCount: (w, _args, ctx) => ctx.loaders.memberCountByWorkspaceId.load(w.id),
    members: async (w, args, ctx) => {
      const page = pageRequest(args);
      const rows = await listMembers(ctx.db, w.id, page);
      // The page brought each member's principal along: later fields find it in the loader.
      for (const { principal } of rows) ctx.loaders.principalById.prime(principal.id, principal);
      return toConnection(
        rows.map((row) => row.membership),
        page.limit,
        byMembership,
      );
    },
    modelAuthorizations: async (w, args, ctx) => {
      const page = pageRequest(args);
      const rows = await listAuthorizations(ctx.db, w.id, page);
      for (const { model } of rows) ctx.loaders.modelById.prime(model.id, model);
      return toConnection(
        rows.map((row) => row.authorization),
        page.limit,
        byModel,
      );
    },
    rateLimits: async (w, args, ctx) => {
      const page = pageRequest(args);
      return toConnection(await listRateLimits(ctx.db, w.id, page), page.limit, byModel);
    },
    apiKeys: async (w, args, ctx) => {
      const page = pageRequest(args);
      // The policy says how much of the list the caller sees: all keys, or its own.
      const visible = await listFilterFor(ctx, 'list_api_keys', workspaceRowTarget(w));
      return toConnection(await listApiKeys(ctx.db, w.id, visible, page), page.limit, byCreation);
    },
    knowledgeBases: async (w, args, ctx) => {
      const page = pageRequest(args);
      return toConnection(await listKnowledgeBases(ctx.db, w.id, page), page.limit, byCreation);
    },
    fineTunedModels: (w, _args, ctx) => ctx.loaders.fineTunedModelsByWorkspaceId.load(w.id),
  },
  Membership: {
    principal: async (m, _args, ctx) => mustExist(await ctx.loaders.principalById.load(m.principal_id), 'principal'),
    workspace: async (m, _args, ctx) => mustExist(await ctx.loaders.workspaceById.load(m.workspace_id), 'workspace'),
    pages: (m) => m.pages as Page[],
    role: async (m, _args, ctx) => {
      const principal = mustExist(await ctx.loaders.principalById.load(m.principal_id), 'principal');
      const policies = principal.kind === 'ROOT' ? [] : await ctx.loaders.policiesByPrincipalId.load(principal.id);
      return workspaceRole({ kind: principal.kind, policies: new Set<PolicyName>(policies) }, new Set(m.pages as Page[]));
    },
    createdAt: (m) => m.created_at,
    updatedAt: (m) => m.updated_at,
  },
  Viewer: {
    memberships: async (auth, _args, ctx) => {
      const memberships = await ctx.loaders.membershipsByPrincipalId.load(auth.principal.id);
      return visibleMemberships(await actorOf(ctx, auth), memberships);
    },
  },
  Query: {
    workspace: (_root, { id }, ctx) => ctx.loaders.workspaceById.load(id),
    workspaces: async (_root, args, ctx) => {
      const page = pageRequest(args);
      const visible = await listFilterFor(ctx, 'list_workspaces', accountTarget(ctx));
      const rows = await listWorkspaces(ctx.db, ctx.auth.principal.account_id, args.region ?? null, visible, page);
      return toConnection(rows, page.limit, byCreation);
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
