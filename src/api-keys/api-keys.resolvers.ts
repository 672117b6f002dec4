import type { Resolvers } from '../generated/graphql.generated.js';
export const apiKeyResolvers: Resolvers = {};
