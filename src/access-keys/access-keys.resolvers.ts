import { mustExist } from '../db/must-exist.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import * as accessKeys from './access-keys.service.js';

export const accessKeyResolvers: Resolvers = {
  AccessKey: {
    user: async (k, _args, ctx) => mustExist(await ctx.loaders.principalById.load(k.principal_id), 'principal'),
  },
  RamUser: {
    accessKeys: (user, _args, ctx) => ctx.loaders.accessKeysByPrincipalId.load(user.id),
  },
  Mutation: {
    createAccessKey: (_root, { principalId }, ctx) => accessKeys.createAccessKey(ctx, principalId),
    setAccessKeyStatus: (_root, { input }, ctx) => accessKeys.setAccessKeyStatus(ctx, input),
    deleteAccessKey: (_root, { id }, ctx) => accessKeys.deleteAccessKey(ctx, id),
  },
};
