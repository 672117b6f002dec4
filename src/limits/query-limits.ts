import { ApolloArmor } from '@escape.tech/graphql-armor';
import { queryCostPlugin } from './query-cost.js';

/** The bounds every client can rely on (docs/api.md): checked before execution, so refusals cost almost nothing. */
export const QUERY_LIMITS = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 2_000,
  maxCost: 25_000,
} as const;

/**
 * graphql-armor for depth, aliases and directives; graphql-js's own parser for tokens (a
 * refusal there is a 400 GRAPHQL_PARSE_FAILED, where armor's parsing plugin makes Apollo
 * answer 500); graphql-query-complexity for cost, with an estimator that multiplies by list
 * sizes (`first`), which armor's cost limit does not (src/limits/query-cost.ts). The cost is a
 * plugin, checked once the operation is known: it needs the variables.
 */
export function queryLimits() {
  const armor = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false }, // Apollo's hideSchemaDetailsFromClientErrors does it (SCHEMA_SUGGESTIONS)
  }).protect();
  return {
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    validationRules: armor.validationRules,
    plugins: [queryCostPlugin(QUERY_LIMITS.maxCost)],
  };
}
