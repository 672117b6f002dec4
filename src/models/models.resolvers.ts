import type { Resolvers } from '../generated/graphql.generated.js';
export const modelResolvers: Resolvers = {};
