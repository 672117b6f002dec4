import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  getNullableType,
  getVariableValues,
  isListType,
  Kind,
  visit,
  type DocumentNode,
  type OperationDefinitionNode,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { RequestContext } from '../context.js';
import { MAX_PAGE_SIZE } from '../relay/connection.js';

/** A list without `first` (models, a member's keys, …) is costed as this many items. */
const UNPAGED_LIST_SIZE = 20;
/** What a connection serves when `first` is left out or null (src/relay/connection.ts). */
const DEFAULT_PAGE_SIZE = 20;
/**
 * Fields visited, fragments expanded wherever they are spread, past which the operation is
 * refused without finishing the count: the count itself must stay cheap (a fragment spread twice
 * by a fragment spread twice by … doubles the work at each level).
 */
const MAX_QUERY_NODES = 10_000;

/** How many items a field stands for: `first` or `last` (clamped to 0-100), the connection's default, 20 for a plain list, 1 otherwise. */
function itemsOf({ type, field, args }: Parameters<ComplexityEstimator>[0]): number {
  // A connection's `edges` are as many as its `first` says, counted on the connection field.
  if (type.name.endsWith('Connection')) return 1;
  const first = field.args.find((arg) => arg.name === 'first');
  if (first) {
    const asked: unknown = args.first ?? args.last;
    if (typeof asked === 'number') return Math.max(0, Math.min(asked, MAX_PAGE_SIZE));
    return typeof first.defaultValue === 'number' ? first.defaultValue : DEFAULT_PAGE_SIZE;
  }
  return isListType(getNullableType(field.type)) ? UNPAGED_LIST_SIZE : 1;
}

/**
 * Every field costs 1, times the number of items of each list around it. Introspection
 * (`__schema`, `__type`, `__typename`) costs nothing, as graphql-armor's depth limit ignores it.
 */
export const listSizeEstimator: ComplexityEstimator = (field) =>
  field.field.name.startsWith('__') ? 0 : itemsOf(field) * (1 + field.childComplexity);

function tooCostly(message: string, extensions: Record<string, unknown>) {
  // A refusal before execution, answered like the other limits (graphql-armor's validation rules): 400.
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...extensions, http: { status: 400 } } });
}

/** Requests refused for their cost: the mutation throttle does not count them (nothing ran). */
const refused = new WeakSet<RequestContext>();
export const refusedForCost = (ctx: RequestContext) => refused.has(ctx);

/**
 * An operation's costs by the values of the variables that can change them (those in a `first`
 * or an `if` argument), kept with the operation's node: Apollo keeps the parsed and validated
 * document of a query it has seen, so a repeated operation is costed once, as a validation rule
 * would be, unless its page sizes come from variables that change.
 */
interface OperationCosts {
  variables: string[];
  byValues: Map<string, number>;
}
const costsByOperation = new WeakMap<OperationDefinitionNode, OperationCosts>();
const MAX_COSTS_PER_OPERATION = 256;

function costsOf(operation: OperationDefinitionNode, document: DocumentNode): OperationCosts {
  let costs = costsByOperation.get(operation);
  if (!costs) {
    const variables = new Set<string>();
    visit(document, {
      Argument(argument) {
        // `first: $n`, `@include(if: $b)`: an Int or a Boolean, so a variable is the whole value.
        const costly = ['first', 'last', 'if'].includes(argument.name.value);
        if (costly && argument.value.kind === Kind.VARIABLE) {
          variables.add(argument.value.name.value);
        }
      },
    });
    costs = { variables: [...variables], byValues: new Map() };
    costsByOperation.set(operation, costs);
  }
  return costs;
}

/**
 * Refuses, before execution, an operation whose worst-case cost is over `maxCost`.
 * graphql-query-complexity walks the operation (fragments, inline fragments, the possible types
 * of interfaces and unions, `@skip`/`@include`) with the request's variables, so `first: $n`
 * costs what `$n` asks, and stops past MAX_QUERY_NODES; `listSizeEstimator` says what a field
 * costs. It runs once the operation is known, not as a validation rule: the library needs the
 * variables' values, which validation rules never see.
 */
export function queryCostPlugin(maxCost: number): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request, contextValue }) {
          if (!operation) return;
          const costs = costsOf(operation, document);
          const values = request.variables ?? {};
          // Left out and null differ: left out, the variable's default applies.
          const key = JSON.stringify(costs.variables.map((name) => (Object.hasOwn(values, name) ? values[name] : 'unset')));
          let cost = costs.byValues.get(key);
          if (cost === undefined) {
            // Invalid variables are left to execution, which refuses them before anything runs.
            if (!getVariableValues(schema, operation.variableDefinitions ?? [], values).coerced) return;
            try {
              cost = getComplexity({
                schema,
                query: document,
                operationName: operation.name?.value,
                variables: values,
                estimators: [listSizeEstimator],
                maxQueryNodes: MAX_QUERY_NODES,
              });
            } catch (error) {
              if (!(error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message))) throw error;
              cost = Number.POSITIVE_INFINITY; // more fields than MAX_QUERY_NODES once fragments are expanded
            }
            if (costs.byValues.size < MAX_COSTS_PER_OPERATION) costs.byValues.set(key, cost);
          }
          if (cost <= maxCost) return;
          refused.add(contextValue);
          throw Number.isFinite(cost)
            ? tooCostly(`Query cost ${cost} exceeds the maximum of ${maxCost}: ask for fewer items (first) or fewer fields`, {
                cost,
                maxCost,
              })
            : tooCostly(`Query too costly: more than ${MAX_QUERY_NODES} fields once fragments are expanded`, { maxCost });
        },
      };
    },
  };
}
