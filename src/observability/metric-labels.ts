import { ApolloServerErrorCode, ApolloServerValidationErrorCode } from '@apollo/server/errors';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { rootFieldNames } from '../root-fields.js';

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

/** The root field the operation asks for, if it asks for one field of the schema; `multiple` or `invalid` otherwise. */
export function operationLabel(
  schema: GraphQLSchema,
  document: DocumentNode | undefined,
  operation: OperationDefinitionNode | undefined | null,
): string {
  const rootType = operation && schema.getRootType(operation.operation);
  if (!document || !operation || !rootType) return INVALID_OPERATION;
  const names = new Set(rootFieldNames(operation, document));
  const fields = rootType.getFields();
  if (names.size === 0 || [...names].some((name) => !Object.hasOwn(fields, name) && !META_FIELDS.has(name))) return INVALID_OPERATION;
  const [first] = names;
  return names.size === 1 && first !== undefined ? first : SEVERAL_ROOT_FIELDS;
}

/** `ok`, the first error's code when it is a known one, or `error`. */
export function outcomeLabel(errors: ReadonlyArray<{ extensions?: Record<string, unknown> }> | undefined): string {
  if (!errors?.length) return 'ok';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' && KNOWN_OUTCOMES.has(code) ? code : 'error';
}
