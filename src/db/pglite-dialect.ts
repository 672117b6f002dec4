import type { PGlite, Results } from '@electric-sql/pglite';
import { SpanKind, trace } from '@opentelemetry/api';
import { endingSpan } from '../observability/spans.js';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * A Kysely dialect for embedded PGlite.
 *
 * PGlite is a single PostgreSQL session. Two things matter for correctness:
 * - a transaction must own that session until it ends, or another request's
 *   statements would run inside it (and be rolled back with it): connections
 *   are handed out one at a time through a FIFO queue;
 * - UPDATE/DELETE must report affected rows, which Kysely reads from
 *   `numAffectedRows`.
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pglite: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private readonly waiters: Array<() => void> = [];
  private held: boolean = false;

  constructor(private readonly pglite: PGlite) {
    this.connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.held) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.held = true;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await conn.executeQuery(CompiledQuery.raw(`begin${isolation}`));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

/**
 * PGlite is not `pg`: the pg instrumentation does not see its statements, so each gets a span here,
 * named and attributed as that instrumentation's (`pglite.query:SELECT`, `db.query.text`; the text
 * only, never the parameters). A no-op unless an OpenTelemetry SDK is registered.
 */
const tracer = trace.getTracer('model-studio-gateway/pglite');

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const span = tracer.startSpan('pglite.query', { kind: SpanKind.CLIENT });
    if (!span.isRecording()) return this.run(compiled);
    span.updateName(`pglite.query:${compiled.sql.trimStart().split(/\s/, 1)[0]?.toUpperCase() ?? ''}`);
    span.setAttributes({ 'db.system.name': 'postgresql', 'db.query.text': compiled.sql });
    return endingSpan(span, () => this.run(compiled));
  }

  private async run<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters the simple protocol runs, which accepts several statements (migrations).
    const result = compiled.parameters.length
      ? await this.pglite.query<R>(compiled.sql, [...compiled.parameters])
      : (((await this.pglite.exec(compiled.sql)).at(-1) as Results<R> | undefined) ?? { rows: [], fields: [] });
    const command = result.command?.toUpperCase();
    const changes = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return {
      rows: result.rows,
      ...(changes ? { numAffectedRows: BigInt(result.rowCount ?? result.affectedRows ?? 0) } : {}),
    };
  }

  /** Fails on its first `next()`, as a generator whose body throws. */
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    yield streamingUnsupported();
  }
}

function streamingUnsupported(): never {
  throw new Error('PGliteDialect does not support streaming');
}
