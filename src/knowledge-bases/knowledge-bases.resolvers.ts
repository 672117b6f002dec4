import type { Resolvers } from '../generated/graphql.generated.js';
import * as knowledgeBases from './knowledge-bases.service.js';

export const knowledgeBaseResolvers: Resolvers = {
  KnowledgeBase: {
    workspace: async (kb, _args, ctx) => (await ctx.loaders.workspaceById.load(kb.workspace_id))!,
    createdAt: (kb) => kb.created_at,
  },
  Mutation: {
    createKnowledgeBase: (_root, { input }, ctx) => knowledgeBases.createKnowledgeBase(ctx, input),
    deleteKnowledgeBase: (_root, { id }, ctx) => knowledgeBases.deleteKnowledgeBase(ctx, id),
  },
};
