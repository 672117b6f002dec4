import type { Resolvers } from '../generated/graphql.generated.js';
import * as knowledgeBases from './knowledge-bases.service.js';
import { mustExist } from '../db/must-exist.js';

export const knowledgeBaseResolvers: Resolvers = {
  KnowledgeBase: {
    workspace: async (kb, _args, ctx) => mustExist(await ctx.loaders.workspaceById.load(kb.workspace_id), 'workspace'),
  },
  Mutation: {
    createKnowledgeBase: (_root, { input }, ctx) => knowledgeBases.createKnowledgeBase(ctx, input),
    deleteKnowledgeBase: (_root, { id }, ctx) => knowledgeBases.deleteKnowledgeBase(ctx, id),
  },
};
