import type { Resolvers } from '../generated/graphql.generated.js';
import { listStandardModels } from './models.repository.js';
import * as models from './models.service.js';
import { modelAccess } from './model-access.js';
import { mustExist } from '../db/must-exist.js';

export const modelResolvers: Resolvers = {
  Model: {
    baseModel: (m, _args, ctx) => (m.base_model_id ? ctx.loaders.modelById.load(m.base_model_id) : null),
  },
  ModelAuthorization: {
    model: async (a, _args, ctx) => mustExist(await ctx.loaders.modelById.load(a.model_id), 'model'),
    // While the workspace is open to all, inference is on for every standard model.
    inference: async (a, _args, ctx) =>
      a.inference || mustExist(await ctx.loaders.workspaceById.load(a.workspace_id), 'workspace').all_models_open,
  },
  ModelRateLimit: {
    model: async (r, _args, ctx) => mustExist(await ctx.loaders.modelById.load(r.model_id), 'model'),
  },
  Query: {
    models: (_root, _args, ctx) => listStandardModels(ctx.db),
    modelAccess: (_root, { model, sourceIp }, ctx) => modelAccess(ctx, model, sourceIp),
  },
  Mutation: {
    setModelAuthorization: (_root, { input }, ctx) => models.setModelAuthorization(ctx, input),
    setAllModelsAccess: (_root, { input }, ctx) => models.setAllModelsAccess(ctx, input),
    updateModelPermissions: (_root, { input }, ctx) => models.updateModelPermissions(ctx, input),
    setModelRateLimit: (_root, { input }, ctx) => models.setModelRateLimit(ctx, input),
    deleteModelRateLimit: (_root, { input }, ctx) => models.deleteModelRateLimit(ctx, input),
    createFineTunedModel: (_root, { input }, ctx) => models.createFineTunedModel(ctx, input),
  },
};
