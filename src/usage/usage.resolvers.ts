import type { Resolvers } from '../generated/graphql.generated.js';
import { authorizeModelCall } from './authorize-model-call.js';
import * as usage from './usage.service.js';

const startOfNextMonth = (now = new Date()) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

export const usageResolvers: Resolvers = {
  Model: {
    // Priced as its base model when fine-tuned: the pricing object is the model that carries the price.
    pricing: async (m, _args, ctx) => {
      const priced = m.base_model_id ? await ctx.loaders.modelById.load(m.base_model_id) : m;
      return priced?.input_price_per_million != null ? priced : null;
    },
  },
  ModelPricing: {
    inputPerMillionTokens: (m) => m.input_price_per_million ?? 0,
    outputPerMillionTokens: (m) => m.output_price_per_million ?? 0,
    currency: () => 'USD',
  },
  WorkspaceBudget: {
    monthlyLimit: (b) => b.monthly_limit,
    spentThisMonth: (b) => b.spent,
    resetsAt: () => startOfNextMonth(),
  },
  Workspace: {
    budget: (w, _args, ctx) => ctx.loaders.budgetByWorkspaceId.load(w.id),
    usage: (w, args, ctx) => usage.workspaceUsage(ctx, w.id, { since: args.since, until: args.until, groupBy: args.groupBy ?? 'MODEL' }),
  },
  Mutation: {
    authorizeModelCall: (_root, { input }, ctx) => authorizeModelCall(ctx, input),
    recordModelUsage: (_root, { input }, ctx) => usage.recordModelUsage(ctx, input),
    setWorkspaceBudget: (_root, { input }, ctx) => usage.setWorkspaceBudget(ctx, input),
  },
};
