import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  execute,
  getNullableType,
  GraphQLError,
  isListType,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type ValueNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

/** Apollo's gateway interface (@apollo/server-gateway-interface), as its constructor types it. */
type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type GatewayGraphQLRequestContext = Parameters<GatewayExecutor>[0];
type GatewaySchemaLoadOrUpdateCallback = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];

/** How `/graphql` operations are executed (EXECUTOR): compiled by graphql-jit, or graphql-js's `execute`. */
export const EXECUTORS = ['jit', 'graphql-js'] as const;
export type ExecutorKind = (typeof EXECUTORS)[number];

/** Compiled operations kept, least recently used out first. */
const DEFAULT_CACHE_SIZE = 1000;

/** An operation graphql-jit does not compile (or whose operation is missing): graphql-js executes it. */
const FALLBACK = Symbol('graphql-js');
interface Compiled {
  query: CompiledQuery['query'];
  /**
   * Variables (without a default) used inside an input object literal, `f(input: { a: $a })`.
   * graphql-jit gives such a field `null` when the variable is not provided, where graphql-js
   * leaves the field out (zalando-incubator/graphql-jit#91, #230), and the services read an
   * absent field as "unchanged" and null as "clear": a request that leaves one out runs on graphql-js.
   */
  nestedVariables: string[];
}
type Entry = Compiled | typeof FALLBACK;

/** The variables without a default value that appear inside an object literal of an argument anywhere in `document`. */
function variablesInObjectLiterals(document: DocumentNode): string[] {
  const withDefault = new Set<string>();
  const nested = new Set<string>();
  const collect = (value: ValueNode, inObject: boolean): void => {
    if (value.kind === Kind.VARIABLE) {
      if (inObject) nested.add(value.name.value);
    } else if (value.kind === Kind.OBJECT) {
      for (const field of value.fields) collect(field.value, true);
    } else if (value.kind === Kind.LIST) {
      for (const item of value.values) collect(item, inObject);
    }
  };
  visit(document, {
    VariableDefinition(node) {
      if (node.defaultValue) withDefault.add(node.variable.name.value);
    },
    Argument(node) {
      collect(node.value, false);
    },
  });
  return [...nested].filter((name) => !withDefault.has(name));
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** A list whose items are promises, as one promise of the list with each rejection in its item's place. */
function settleItems(value: unknown): unknown {
  if (!Array.isArray(value) || !value.some(isThenable)) return value;
  return Promise.all(
    value.map((item) =>
      isThenable(item)
        ? Promise.resolve(item).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
        : item,
    ),
  );
}

/**
 * graphql-jit 0.8.9 puts a rejected list item's null with `push`, not at its index: items that
 * reject before earlier ones settle are moved and the list comes out short
 * (`[a, Promise<b>, reject, reject]` → `[a, null, null]`). Each list field of the compiled schema
 * hands graphql-jit the settled items instead, an Error in a rejected item's place, which it (as
 * graphql-js) reports at that item's path.
 */
function withSettledListItems(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => {
      if (!isListType(getNullableType(field.type))) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve: (source, args, context, info) => {
          const result = resolve(source, args, context, info);
          return isThenable(result) ? Promise.resolve(result).then(settleItems) : settleItems(result);
        },
      };
    },
  });
}

/**
 * graphql-jit's errors leave `extensions` undefined where graphql-js's have `{}`: Apollo reads
 * `extensions.code` before formatError, throws, and answers a bare internal error (a database
 * outage would not say SERVICE_UNAVAILABLE). Each becomes a graphql-js error with the same
 * message, path, locations and original error.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  const converted = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined });
  return Object.assign(converted, { locations: error.locations });
}

export interface JitExecutor {
  executor: GatewayExecutor;
  /** Compiled (or fallen back) operations in the cache. */
  cached(): number;
  /** Operations graphql-js executed because graphql-jit would not compile them. */
  fallbacks(): number;
}

/**
 * Executes Apollo's validated operations with graphql-jit: each (document, operation name) is
 * compiled once into a function (resolvers called directly, no per-field `execute` machinery)
 * and kept in a bounded LRU. A document graphql-jit refuses runs through graphql-js.
 */
export function jitExecutor(schema: GraphQLSchema, cacheSize = DEFAULT_CACHE_SIZE): JitExecutor {
  const compiledSchema = withSettledListItems(schema);
  const cache = new LRUCache<string, Entry>({ max: cacheSize });
  let fallbacks = 0;
  const compile = (requestContext: GatewayGraphQLRequestContext): Entry => {
    try {
      const compiled = compileQuery(compiledSchema, requestContext.document, requestContext.request.operationName ?? undefined, {
        // Apollo serializes the response itself.
        customJSONSerializer: false,
        // Resolver errors keep their own stack; the compiled function's own errors need none.
        disablingCapturingStackErrors: true,
      });
      if (!isCompiledQuery(compiled)) return FALLBACK;
      return { query: compiled.query, nestedVariables: variablesInObjectLiterals(requestContext.document) };
    } catch {
      return FALLBACK;
    }
  };
  const executor: GatewayExecutor = async (requestContext) => {
    const { document, request, context, queryHash } = requestContext;
    const key = `${queryHash}\u0000${request.operationName ?? ''}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      entry = compile(requestContext);
      cache.set(key, entry);
    }
    const graphqlJs = async () => {
      fallbacks++;
      return (await execute({
        schema,
        document,
        contextValue: context,
        variableValues: request.variables,
        operationName: request.operationName,
      })) as ExecutionResult;
    };
    if (entry === FALLBACK) return graphqlJs();
    const variables = request.variables;
    if (entry.nestedVariables.length > 0 && entry.nestedVariables.some((name) => !(variables && Object.hasOwn(variables, name)))) {
      return graphqlJs();
    }
    const result = (await entry.query(undefined, context, variables)) as ExecutionResult;
    // Only variables that do not coerce leave no data: graphql-js words those errors as Apollo
    // recognises them (BAD_USER_INPUT, HTTP 400; graphql-jit's carry no AST nodes); nothing has run yet.
    if (result.data === undefined) return graphqlJs();
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
  };
  return { executor, cached: () => cache.size, fallbacks: () => fallbacks };
}

/**
 * Apollo Server 5 has no `executor` option: a static "gateway" (its `gateway` option) is how an
 * executor is supplied. It serves one schema that never changes; Apollo still parses and
 * validates every document against it, and runs every request plugin around the executor.
 */
export function staticGateway(schema: GraphQLSchema, executor: GatewayExecutor): GatewayInterface {
  const listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  return {
    async load() {
      for (const listener of listeners) listener({ apiSchema: schema, coreSupergraphSdl: '' });
      return { schema, executor };
    },
    onSchemaLoadOrUpdate(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    async stop() {
      listeners.clear();
    },
  };
}
