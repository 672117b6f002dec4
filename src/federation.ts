import { createRequire } from 'node:module';
import type { IResolvers } from '@graphql-tools/utils';
import { graphqlSync, parse } from 'graphql';
import { asSignedIn, type RequestContext } from './context.js';
import { badUserInput } from './errors.js';
import { locateNode, NODE_KINDS, nodeTypeOf } from './node-kinds.js';
import type { ResourceSpec } from './shield/declarations.js';
import { decideCan, type AbilitySpec } from './shield/rules.js';

/**
 * FEDERATION=true: the schema is also an Apollo Federation 2 subgraph. Every type with a global
 * ID (src/node-kinds.ts) is an entity keyed by `id`, and `Query._entities` resolves a reference
 * exactly as `node(id)` does: the same declaration (`@can(abilityBy: "node")`), the same rule,
 * the same lookup. `_service { sdl }` shows the schema, so it is there only when introspection is.
 */
export interface FederationOptions {
  /** Serve `Query._service` (the SDL a router or `rover subgraph introspect` reads): follows INTROSPECTION. */
  serviceSdl: boolean;
}

/** The entity types: every type with a global ID. */
export const ENTITY_TYPES: readonly string[] = Object.values(NODE_KINDS).map((kind) => kind.type);

/** A gateway sends one `_entities` call per fetch; a larger batch is refused before anything is loaded. */
export const MAX_REPRESENTATIONS = 1_000;

/** `node(id)`'s declaration (schema/base.graphql), which every entity reference is authorized by. */
const NODE_ABILITY: AbilitySpec = { choice: 'node' };
/** `node(id)`'s resource, the ID being the reference's (`representations.3.id` in errors), of the type it names. */
const referenceResource = (index: number, type: string) =>
  ({ source: 'ARGUMENT', argument: ['representations', String(index), 'id'], types: [type] }) satisfies ResourceSpec;

const FEDERATION_LINK = 'https://specs.apollo.dev/federation/v2.3';

/**
 * The SDL added to schema/*.graphql in federation mode: the link to the federation spec, `@key`
 * on the entity types, and the subgraph's own fields, declared with this project's authorization
 * directives like any other field.
 */
export function federationTypeDefs(options: FederationOptions): string {
  const service = options.serviceSdl
    ? `
"The subgraph's schema, for a router's composition."
type _Service @withParent {
  "The SDL, federation directives included."
  sdl: String
}`
    : '';
  const serviceField = options.serviceSdl
    ? `\n  "This subgraph's SDL (as introspection: only when INTROSPECTION is on)."\n  _service: _Service! @public`
    : '';
  return `
extend schema @link(url: "${FEDERATION_LINK}", import: ["@key"])

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
scalar link__Import
enum link__Purpose {
  SECURITY
  EXECUTION
}
scalar federation__FieldSet

"An entity reference from a router: \`{ __typename, id }\`."
scalar _Any
"Every type with a global ID."
union _Entity = ${ENTITY_TYPES.join(' | ')}
${ENTITY_TYPES.map((type) => `extend type ${type} @key(fields: "id")`).join('\n')}
${service}
extend type Query {
  """
  The objects the router's references name, in order. Each reference is authorized and loaded as
  \`node(id)\`: another account's ID or a missing one is null with NOT_FOUND, an object the caller
  may not read null with FORBIDDEN; the others are served. At most ${MAX_REPRESENTATIONS} references.
  """
  _entities(representations: [_Any!]!): [_Entity]! @authenticated${serviceField}
}
`;
}

/** The `_service.sdl` of a schema built from `typeDefs`: what Apollo's own subgraph library serves for them. */
function subgraphSdl(typeDefs: readonly string[]): string {
  // Loaded only for a federated gateway: it would lengthen every start otherwise.
  const { buildSubgraphSchema } = createRequire(import.meta.url)('@apollo/subgraph') as typeof import('@apollo/subgraph');
  const schema = buildSubgraphSchema({ typeDefs: parse(typeDefs.join('\n')) });
  const result = graphqlSync({ schema, source: '{ _service { sdl } }' });
  const sdl = (result.data as { _service?: { sdl?: unknown } } | null | undefined)?._service?.sdl;
  if (typeof sdl !== 'string') throw new Error(`The subgraph SDL could not be printed: ${JSON.stringify(result.errors)}`);
  return sdl;
}

/** One reference, authorized as `node(id)` and then loaded by the same lookup as its resolver. */
async function resolveReference(representations: unknown[], index: number, ctx: RequestContext): Promise<unknown> {
  const { __typename: type, id } = (representations[index] ?? {}) as { __typename?: unknown; id?: unknown };
  if (typeof type !== 'string' || !ENTITY_TYPES.includes(type)) {
    throw badUserInput(`representations.${index}.__typename`, `must name an entity type (${ENTITY_TYPES.join(', ')})`);
  }
  const resource = referenceResource(index, type);
  const verdict = await decideCan(NODE_ABILITY, resource, null, { representations }, ctx, 'Query', '_entities');
  if (verdict !== true) throw verdict;
  // The same lookup as the rule's, answered from the request's loaders (as `node`'s resolver).
  return (await locateNode(asSignedIn(ctx), id, resource.argument.join('.'), resource.types)).row;
}

/** The typeDefs and resolvers a federated schema adds to schema/*.graphql and the project's resolvers. */
export function federationAdditions(
  typeDefs: readonly string[],
  options: FederationOptions,
): { typeDefs: string; resolvers: IResolvers<unknown, RequestContext> } {
  const added = federationTypeDefs(options);
  const sdl = options.serviceSdl ? subgraphSdl([...typeDefs, added]) : null;
  return {
    typeDefs: added,
    resolvers: {
      _Entity: { __resolveType: (row: { id: string }) => nodeTypeOf(row) },
      Query: {
        _entities: (_root: unknown, { representations }: { representations: unknown[] }, ctx: RequestContext) => {
          if (representations.length > MAX_REPRESENTATIONS) {
            throw badUserInput('representations', `at most ${MAX_REPRESENTATIONS} references per request`);
          }
          // One promise per reference: a refused one is null with its error, the others are served.
          return representations.map((_representation, index) => resolveReference(representations, index, ctx));
        },
        ...(sdl === null ? {} : { _service: () => ({ sdl }) }),
      },
    },
  };
}
