import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  TypeInfo,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isInputObjectType,
  isListType,
  separateOperations,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { RequestContext } from '../context.js';
import { mustExist } from '../db/must-exist.js';
import { badUserInput } from '../errors.js';
import { isNumberPastBigint, isStorableText } from './postgres-bounds.js';

/** `aud_42`: an ID whose part after its prefix is a number, which the database may read as a bigint. */
const NUMBERED_ID = /^[A-Za-z]+[_-](\d+)$/;

/** Why `value`, a string sent for an argument or input field of type `typeName`, cannot reach the database; null when it can. */
function refusal(value: string, typeName: string): string | null {
  if (!isStorableText(value)) return 'must not contain NUL characters or lone surrogates';
  const number = typeName === 'ID' ? NUMBERED_ID.exec(value)?.[1] : undefined;
  return number !== undefined && isNumberPastBigint(number) ? 'is not a well-formed ID: its number is too large' : null;
}

/** Throws BAD_USER_INPUT naming the first string in `value` (of `type`, at `path`) that the database would refuse. */
function check(value: unknown, type: GraphQLInputType, path: string): void {
  if (value == null) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        check(item, nullable.ofType, `${path}[${i}]`);
      });
    }
    return;
  }
  if (isInputObjectType(nullable)) {
    for (const field of Object.values(nullable.getFields())) {
      check((value as Record<string, unknown>)[field.name], field.type, `${path}.${field.name}`);
    }
    return;
  }
  const reason = typeof value === 'string' ? refusal(value, getNamedType(nullable).name) : null;
  if (reason) throw refused(path, reason);
}

/** BAD_USER_INPUT, answered with 400 like GraphQL's own input errors (Apollo's default here would be 500). */
function refused(field: string, reason: string): GraphQLError {
  const error = badUserInput(field, reason);
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
}

/**
 * Every argument of every field of the operation, with the variables' coerced values, before
 * anything runs: strings PostgreSQL cannot store and ID numbers past bigint answer BAD_USER_INPUT
 * naming the argument's path (`input.loginName`, `filter.action`, `after`). One check for the whole
 * schema, so that a new field cannot forget it. Invalid variables are left to execution, which
 * refuses them itself.
 */
export function hostileInputPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request }) {
          if (!operation) return; // Apollo has already refused a document without the operation asked for
          const variables = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          if (!variables.coerced) return;
          for (const { definition, node } of fieldsWithArguments(schema, document, operation)) {
            const values = getArgumentValues(definition, node, variables.coerced);
            for (const argument of definition.args) check(values[argument.name], argument.type, argument.name);
          }
        },
      };
    },
  };
}

/** A field of an operation that takes arguments, with its definition. */
interface FieldWithArguments {
  definition: GraphQLField<unknown, unknown>;
  node: FieldNode;
}

/** Per parsed document (Apollo reuses one per query text), per operation name. */
const argumentFieldsOf = new WeakMap<DocumentNode, Map<string, FieldWithArguments[]>>();

/**
 * The fields of the operation (and the fragments it uses, nothing of the document's other
 * operations) that take arguments: found once per document, and only their values read per
 * request. The schema is the server's one.
 */
function fieldsWithArguments(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): FieldWithArguments[] {
  const name = operation.name?.value ?? '';
  let byOperation = argumentFieldsOf.get(document);
  if (!byOperation) {
    byOperation = new Map();
    argumentFieldsOf.set(document, byOperation);
  }
  let fields = byOperation.get(name);
  if (!fields) {
    const found: FieldWithArguments[] = [];
    const ownDocument = mustExist(separateOperations(document)[name], 'the resolved operation among the operations of its own document');
    const typeInfo = new TypeInfo(schema);
    visit(
      ownDocument,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const definition = typeInfo.getFieldDef();
          if (definition && definition.args.length > 0) found.push({ definition, node });
        },
      }),
    );
    fields = found;
    byOperation.set(name, fields);
  }
  return fields;
}
