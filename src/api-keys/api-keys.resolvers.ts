import type { Resolvers } from '../generated/graphql.generated.js';
import * as apiKeys from './api-keys.service.js';

export const apiKeyResolvers: Resolvers = {
  ApiKey: {
    prefix: (k) => k.secret_prefix,
    workspace: async (k, _args, ctx) => (await ctx.loaders.workspaceById.load(k.workspace_id))!,
    owner: async (k, _args, ctx) => (await ctx.loaders.principalById.load(k.owner_id))!,
    modelScope: (k) => k.model_scope,
    ipAllowlist: (k) => k.ip_allowlist,
    createdAt: (k) => k.created_at,
  },
  Mutation: {
    createApiKey: (_root, { input }, ctx) => apiKeys.createApiKey(ctx, input),
    deleteApiKey: (_root, { id }, ctx) => apiKeys.deleteApiKey(ctx, id),
  },
};
