import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { execute, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

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
type Entry = CompiledQuery | typeof FALLBACK;

/** A Map kept in use order: a hit moves its key to the end, and the first key goes out when full. */
class Lru<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly size: number) {}
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.size) this.#entries.delete(this.#entries.keys().next().value as string);
  }
  get count(): number {
    return this.#entries.size;
  }
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
  const cache = new Lru<Entry>(cacheSize);
  let fallbacks = 0;
  const compile = (requestContext: GatewayGraphQLRequestContext): Entry => {
    try {
      const compiled = compileQuery(schema, requestContext.document, requestContext.request.operationName ?? undefined, {
        // Apollo serializes the response itself.
        customJSONSerializer: false,
        // Resolver errors keep their own stack; the compiled function's own errors need none.
        disablingCapturingStackErrors: true,
      });
      return isCompiledQuery(compiled) ? compiled : FALLBACK;
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
    if (entry === FALLBACK) {
      fallbacks++;
      return (await execute({
        schema,
        document,
        contextValue: context,
        variableValues: request.variables,
        operationName: request.operationName,
      })) as ExecutionResult;
    }
    return (await entry.query(undefined, context, request.variables)) as ExecutionResult;
  };
  return { executor, cached: () => cache.count, fallbacks: () => fallbacks };
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
