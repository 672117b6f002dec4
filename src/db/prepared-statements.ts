import { createHash } from 'node:crypto';
import { createQueryId, type CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import type pg from 'pg';

/**
 * At most this many statement texts are prepared per process. A loader's statement differs with
 * its batch size (`in ($1, $2)`), so the texts of a few dozen hot statements stay far below it;
 * past it, statements run unnamed, as before.
 */
const MAX_PREPARED_TEXTS = 1_000;

/** SQL text → prepared-statement name (and its generation, see `renamed`), for the statements on the hottest paths. */
const named = new Map<string, { base: string; generation: number }>();
const nameOf = (entry: { base: string; generation: number }) => (entry.generation ? `${entry.base}_${entry.generation}` : entry.base);

/**
 * Marks a compiled query to run as a named prepared statement on PostgreSQL, so that each
 * connection parses and plans it once. Worth it where planning costs about as much as
 * executing: the modelAccess query joins seven tables and plans in about 0.8 ms, executes in
 * 0.2 ms (`npm run bench:explain`); the console page's four statements serve 1.28 × the pages
 * prepared (bench/floor.ts, node-pg alone). A marked statement names its columns (`allColumns`), so
 * that a migration adding one does not change its result under a running gateway. PGlite runs
 * it unchanged.
 */
export function prepared<R>(name: string, compiled: CompiledQuery<R>): CompiledQuery<R> {
  if (!named.has(compiled.sql) && named.size < MAX_PREPARED_TEXTS) {
    named.set(compiled.sql, { base: `${name}_${createHash('sha1').update(compiled.sql).digest('hex').slice(0, 10)}`, generation: 0 });
  }
  return compiled;
}

/** What runs compiled statements: a Kysely instance, a transaction, a request's view of either. */
export interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/** Runs a query as a prepared statement (`prepared`) and returns its rows. */
export async function executePrepared<O>(db: Executor, name: string, query: Compilable<O>): Promise<O[]> {
  return (await db.executeQuery(prepared(name, query.compile()))).rows;
}

/** What a statement template binds: values a query builder places as parameters. */
export type Bindable = string | number | boolean | null;

/** A bound value, or a list of them that the statement unnests (`${values.ids}::text[]`). */
export type StatementValue = Bindable | readonly string[] | readonly number[];

/**
 * A prepared statement (`prepared`) whose shape does not depend on its values (no `in` lists, no
 * optional parts; a list goes as one array parameter): built and compiled by Kysely once, on its
 * first call, then only bound. Kysely otherwise builds and compiles the same query on every call,
 * which was about a fifth of modelAccess's gateway CPU in a `node --cpu-prof` profile under load
 * (issue #16). `build` receives markers in place of the values: it may put them
 * wherever a value goes, but not compute with them (a value that does not come back as a
 * parameter, or as SQL text, stops the first call).
 */
export function preparedStatement<Db extends Executor, Values extends Record<string, StatementValue>, Row>(
  name: string,
  build: (db: Db, values: Values) => Compilable<Row>,
): (db: Db, values: Values) => Promise<Row[]> {
  let template: { compiled: CompiledQuery<Row>; bindings: ReadonlyArray<keyof Values | null> } | null = null;
  return async (db, values) => {
    if (!template) {
      const keys = Object.keys(values) as Array<keyof Values & string>;
      const markers = Object.fromEntries(keys.map((key) => [key, `\u0000value:${key}\u0000`]));
      const compiled = prepared(name, build(db, markers as Values).compile());
      const keyOfMarker = new Map(keys.map((key) => [markers[key], key]));
      const bindings = compiled.parameters.map((parameter) =>
        typeof parameter === 'string' ? (keyOfMarker.get(parameter) ?? null) : null,
      );
      const unbound = keys.filter((key) => !bindings.includes(key) || compiled.sql.includes(markers[key] as string));
      if (unbound.length) throw new Error(`preparedStatement ${name}: ${unbound.join(', ')} must be parameters, used as they are`);
      template = { compiled, bindings };
    }
    const { compiled, bindings } = template;
    const parameters = compiled.parameters.map((parameter, i) => {
      const key = bindings[i];
      return key == null ? parameter : values[key];
    });
    return (await db.executeQuery<Row>({ ...compiled, parameters, queryId: createQueryId() })).rows;
  };
}

/**
 * PostgreSQL refuses to run a prepared statement whose result changed shape (a column's type
 * altered under it): the statement gets a new name, which each connection prepares afresh, so
 * the request that met the change fails and the next ones do not.
 */
function renamed(error: unknown, text: string): void {
  const entry = named.get(text);
  if (entry && (error as { code?: string }).code === '0A000') entry.generation++;
}

/**
 * The server options of a pool whose clients run prepared statements: the URL's own `options`,
 * and generic plans for named statements. PostgreSQL otherwise plans a prepared statement afresh
 * for each execution until a generic plan looks as cheap, which for a page with a row limit and
 * keyset bounds is never: on the large dataset the members page plans in 0.6 ms and runs in 1.8,
 * the modelAccess lookup plans in 2.0 ms and runs in 0.4 (`npm run bench:explain`, 2026-12-06).
 * The marked statements are lookups on indexed keys, which a generic plan serves as well;
 * unnamed statements are planned with their values as before. And no JIT compilation, unless the
 * URL asks for it: the generic plan of a batch of key lookups (src/db/coalesced-statements.ts)
 * expects ten keys and estimates each as a scan, which can pass `jit_above_cost`; compiling then
 * costs milliseconds on every execution of a statement that runs in a tenth of one.
 */
export function preparedStatementOptions(url: string): string {
  let own = '';
  try {
    own = new URL(url).searchParams.get('options') ?? '';
  } catch {
    // Not a URL pg reads options from: nothing to keep.
  }
  return `-c jit=off ${own} -c plan_cache_mode=force_generic_plan`.replace(/\s+/g, ' ').trim();
}

/** Lets a pg pool's clients run the marked statements by name (pg prepares a name once per connection). */
export function enablePreparedStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
      const entry = typeof text === 'string' ? named.get(text) : undefined;
      if (!entry) return query(text, values, callback);
      const result = query({ name: nameOf(entry), text, values }, callback);
      if (result instanceof Promise) result.catch((error: unknown) => renamed(error, text as string));
      return result;
    }) as typeof client.query;
  });
}
