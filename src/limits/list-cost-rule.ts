import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../relay/connection.js';

/** A list without `first` (models, a member's keys, …) is costed as this many items. */
const UNPAGED_LIST_SIZE = 20;

/**
 * Refuses, before execution, an operation whose worst-case cost is over `maxCost`. Every
 * field costs 1, times the sizes of the lists around it; a connection's size is its `first`
 * (a literal, or the maximum of 100 when it comes from a variable), a plain list's 20.
 * Validation rules see no variable values, hence the worst case for variables.
 */
export function listCostRule(maxCost: number): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }

    const sizeOf = (node: FieldNode, field: GraphQLField<unknown, unknown>, parentName: string): number => {
      // A connection's `edges` are as many as its `first` says, counted on the connection field.
      if (parentName.endsWith('Connection')) return 1;
      const first = node.arguments?.find((arg) => arg.name.value === 'first');
      if (first?.value.kind === Kind.INT) return Math.min(Number(first.value.value), MAX_PAGE_SIZE);
      if (first) return MAX_PAGE_SIZE;
      if (field.args.some((arg) => arg.name === 'first')) return Number(field.args.find((a) => a.name === 'first')?.defaultValue ?? 20);
      return isListType(getNullableType(field.type)) ? UNPAGED_LIST_SIZE : 1;
    };

    const costOf = (selectionSet: SelectionSetNode, type: GraphQLOutputType, visited: Set<string>): number => {
      const named = getNamedType(type);
      let cost = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (!isObjectType(named)) {
            // Interfaces: cost the selection against each field's own declaration where found.
            cost += 1;
            continue;
          }
          const field = named.getFields()[selection.name.value];
          if (!field) continue; // unknown fields are another rule's business
          const below = selection.selectionSet ? costOf(selection.selectionSet, field.type, visited) : 0;
          cost += sizeOf(selection, field, named.name) * (1 + below);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const condition = selection.typeCondition ? context.getSchema().getType(selection.typeCondition.name.value) : named;
          cost += costOf(selection.selectionSet, (condition ?? named) as GraphQLOutputType, visited);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || visited.has(name)) continue; // cycles are refused by NoFragmentCycles
          const condition = context.getSchema().getType(fragment.typeCondition.name.value);
          cost += costOf(fragment.selectionSet, (condition ?? named) as GraphQLOutputType, new Set([...visited, name]));
        }
      }
      return cost;
    };

    return {
      OperationDefinition(operation) {
        const root =
          operation.operation === 'query'
            ? context.getSchema().getQueryType()
            : operation.operation === 'mutation'
              ? context.getSchema().getMutationType()
              : context.getSchema().getSubscriptionType();
        if (!root) return;
        const cost = costOf(operation.selectionSet, root, new Set());
        if (cost > maxCost) {
          context.reportError(
            new GraphQLError(`Query cost ${cost} exceeds the maximum of ${maxCost}: ask for fewer items (first) or fewer fields`, {
              nodes: [operation],
              extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost },
            }),
          );
        }
      },
    };
  };
}
