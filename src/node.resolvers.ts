import type { Resolvers } from './generated/graphql.generated.js';
import { locateNode, nodeTypeOf } from './node-kinds.js';

/** `node(id)`: the shield rule has located the object (src/node-kinds.ts) and checked access to it. */
export const nodeResolvers: Resolvers = {
  Node: {
    __resolveType: (node: { id: string }) => nodeTypeOf(node) as never,
  },
  Query: {
    // The same lookup as the rule's, answered from the request's loaders.
    node: async (_root, { id }, ctx) => (await locateNode(ctx, id, 'id')).row as never,
  },
};
