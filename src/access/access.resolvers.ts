import type { Resolvers } from '../generated/graphql.generated.js';
import type { Ability } from '../policy/index.js';
import { explainAccess } from './explain-access.js';

export const accessResolvers: Resolvers = {
  AccessExplanation: {
    action: (d) => d.ability,
    scope: (d) => d.scope ?? null,
  },
  Query: {
    explainAccess: (_root, args, ctx) => explainAccess(ctx, { ...args, action: args.action as Ability }),
  },
};
