import { AsyncLocalStorage } from 'node:async_hooks';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/**
 * Counts the SQL statements one request issues: the proof that a list of N items costs a
 * constant number of queries. The count lives in AsyncLocalStorage, so concurrent requests
 * on the same Kysely instance never mix their counts.
 */
const current = new AsyncLocalStorage<{ statements: number }>();

export const statementCounter: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const counter = current.getStore();
    if (counter) counter.statements++;
    return args.node;
  },
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  },
};

/** Runs `work` with a fresh statement count and returns both. */
export async function countStatements<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const counter = { statements: 0 };
  const result = await current.run(counter, work);
  return { result, statements: counter.statements };
}
