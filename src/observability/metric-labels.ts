import { ApolloServerErrorCode, ApolloServerValidationErrorCode } from '@apollo/server/errors';
import { Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Metric labels come from bounded sets only (a series per value lives as long as the process):
 * a root field of the schema, `multiple`, or `invalid`; a known error code or `error`.
 */
export const INVALID_OPERATION = 'invalid';
export const SEVERAL_ROOT_FIELDS = 'multiple';

const META_FIELDS = new Set(['__typename', '__schema', '__type']);

/** The codes the API and Apollo answer with (src/errors.ts, the HTTP handler, the limits). */
const KNOWN_OUTCOMES = new Set<string>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
  'RATE_LIMITED',
  ...Object.values(ApolloServerErrorCode),
  ...Object.values(ApolloServerValidationErrorCode),
]);

/** Root field names of the operation, through fragments (a validated document has no fragment cycles; `seen` guards anyway). */
function collectRootFields(selectionSet: SelectionSetNode, document: DocumentNode, names: Set<string>, seen: Set<string>) {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.add(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) collectRootFields(selection.selectionSet, document, names, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) collectRootFields(fragment.selectionSet, document, names, seen);
    }
  }
}

/** The root field the operation asks for, if it asks for one field of the schema; `multiple` or `invalid` otherwise. */
export function operationLabel(schema: GraphQLSchema, document: DocumentNode | undefined, operation: OperationDefinitionNode | undefined | null): string {
  const rootType = operation && schema.getRootType(operation.operation);
  if (!document || !operation || !rootType) return INVALID_OPERATION;
  const names = new Set<string>();
  collectRootFields(operation.selectionSet, document, names, new Set());
  const fields = rootType.getFields();
  if (names.size === 0 || [...names].some((name) => !Object.hasOwn(fields, name) && !META_FIELDS.has(name))) return INVALID_OPERATION;
  return names.size === 1 ? [...names][0]! : SEVERAL_ROOT_FIELDS;
}

/** `ok`, the first error's code when it is a known one, or `error`. */
export function outcomeLabel(errors: ReadonlyArray<{ extensions?: Record<string, unknown> }> | undefined): string {
  if (!errors?.length) return 'ok';
  const code = errors[0]!.extensions?.code;
  return typeof code === 'string' && KNOWN_OUTCOMES.has(code) ? code : 'error';
}
