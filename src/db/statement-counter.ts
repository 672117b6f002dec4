import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

export interface StatementCount {
  statements: number;
}

/**
 * Counts the SQL statements one request issues: the proof that a list of N items costs a
 * constant number of queries. Each request that wants a count gets its own Kysely view
 * (`db.withPlugin(countStatements(count))`), which shares the pool: no AsyncLocalStorage,
 * whose promise hooks would tax every request.
 */
export function countStatements(count: StatementCount): KyselyPlugin {
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      return args.node;
    },
    // Counted as their results come: a query builder nested in another (a JSON subquery) is
    // transformed too, but only the statement around it runs.
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      count.statements++;
      return args.result;
    },
  };
}
