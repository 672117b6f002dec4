import type { Config } from './config.js';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { authenticate } from './auth/authentication.js';
import { authenticationPlugin } from './auth/authentication-plugin.js';
import type { RequestContext, Services } from './context.js';
import type { DatabaseHandle } from './db/database.js';
import { errorLoggingPlugin, formatError } from './http/error-masking.js';
import { clientAddress } from './http/client-address.js';
import { createGraphQLHandler } from './http/graphql-handler.js';
import { handleCors } from './http/cors.js';
import { createMetricsServer, serveMetrics } from './http/metrics-route.js';
import { serveGraphiQL } from './graphiql/serve-graphiql.js';
import { hostileInputPlugin } from './limits/hostile-input.js';
import { mutationThrottlePlugin } from './limits/mutation-throttle.js';
import { queryLimits } from './limits/query-limits.js';
import { createLoaders } from './loaders.js';
import { serveModelCallAuthorization } from './http/model-call-route.js';
import { serveAuditExport } from './http/audit-export-route.js';
import { serveOperations } from './http/operations-routes.js';
import { serveSchemaSdl } from './http/schema-route.js';
import { createMetrics } from './observability/metrics.js';
import { requestObservabilityPlugin } from './observability/request-plugin.js';
import { countStatements, type StatementCount } from './db/statement-counter.js';
import { buildSchema } from './schema.js';
import { jitExecutor, staticGateway } from './jit-executor.js';
import { LastUseRecorder, usesOnceKept } from './auth/last-use.js';
import { sweepExpiredWindows } from './limits/expired-windows.js';
import { createCallCounters } from './usage/call-counters.js';
import { consistencyPlugin } from './consistency/consistency-plugin.js';
import { createReadRouting, type ReadsOf, type SpeculativeReads } from './consistency/read-routing.js';
import { coalescingReads, databaseWatermark, redisWatermark } from './consistency/watermark.js';
import { RequestDecisions } from './access/request-decisions.js';

/** The answer of a request routed before it ran is always sent. */
const KEPT = Promise.resolve(true);

/** How long shutdown waits for in-flight requests before cutting them off. */
const STOP_GRACE_MILLIS = 10_000;

export interface Gateway {
  apollo: ApolloServer<RequestContext>;
  server: Server;
  /** `/metrics` on a listener of its own (METRICS_PORT / METRICS_HOST); the caller listens. Null otherwise. */
  metricsServer: Server | null;
  contextFor(
    req: Pick<IncomingMessage, 'headers' | 'socket'>,
    count?: StatementCount | null,
    reads?: ReadsOf,
    speculative?: SpeculativeReads | null,
  ): Promise<RequestContext>;
  /** Answers `/readyz` with 503 from now on (SIGTERM, before `stop`): the load balancer takes the process out. */
  drain(): void;
  stop(): Promise<void>;
}

/**
 * Builds the HTTP server: `/graphql` (Apollo behind graphql-shield), `/healthz`, `/readyz`, and
 * `/metrics` where the configuration puts it.
 */
/** The executable schema a gateway of this configuration serves: src/main.ts builds it while the database opens. */
export const gatewaySchema = (config: Config) =>
  buildSchema({ allowAll: config.benchAllowAll, federation: config.federation ? { serviceSdl: config.introspection } : undefined });

export async function createGateway(
  services: Services,
  database: Pick<DatabaseHandle, 'ping' | 'db' | 'poolStats'> & Partial<Pick<DatabaseHandle, 'replicas'>>,
  schema = gatewaySchema(services.config),
): Promise<Gateway> {
  const { config, logger } = services;
  const metrics = createMetrics(() => database.poolStats());
  const routing = createReadRouting({
    primary: services.db,
    replicas: database.replicas ?? [],
    watermark: coalescingReads(config.redisUrl ? redisWatermark(config.redisUrl, services.db) : databaseWatermark(services.db)),
    metrics,
    blind: config.benchBlindReplicaReads,
  });
  let draining = false;
  const limits = queryLimits();
  const lastUse = new LastUseRecorder(services.db, logger);
  const counters = createCallCounters({ redisUrl: config.redisUrl, db: services.db });
  const windowSweeper = sweepExpiredWindows(services.db, logger);
  const server = createServer();
  // Longer than a load balancer keeps an idle connection to it (HAProxy purges after 5 s, cloud ones
  // after 60 s): the balancer closes first, never sending a request on a connection the gateway is closing.
  server.keepAliveTimeout = 65_000;
  /** Requests still running: a client that went away leaves its request running on the server. */
  const inFlight = new Set<Promise<void>>();
  const apollo = new ApolloServer<RequestContext>({
    // EXECUTOR=jit: operations compiled by graphql-jit, supplied through Apollo's gateway hook (its only executor hook).
    ...(config.executor === 'jit' ? { gateway: staticGateway(schema, jitExecutor(schema).executor) } : { schema }),
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: !config.schemaSuggestions,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // Trusted documents on (TRUSTED_DOCUMENTS_MODE): no APQ, whose cache any client could fill;
    // listed documents are resolved by the HTTP handler (src/http/trusted-documents.ts).
    ...(config.trustedDocuments.mode === 'off' ? {} : { persistedQueries: false as const }),
    csrfPrevention: true,
    // Apollo's own SIGINT/SIGTERM handlers would stop it under in-flight requests and kill the
    // process by the signal; src/main.ts shuts down gracefully instead.
    stopOnTerminationSignals: false,
    formatError,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Shutdown (`apollo.stop()`): Apollo's drain stops listening, closes idle keep-alive
      // connections at once and busy ones after their response, and cuts off what is left after
      // the grace period; the handlers of requests whose client went away are waited for apart.
      ApolloServerPluginDrainHttpServer({ httpServer: server, stopGracePeriodMillis: STOP_GRACE_MILLIS }),
      drainRequestHandlers(server, inFlight, STOP_GRACE_MILLIS),
      // The schema has no cache hints: Apollo's implicit cache-control plugin would instrument every field for nothing.
      ApolloServerPluginCacheControlDisabled(),
      // A subgraph schema (FEDERATION) turns on Apollo's inline traces, per-field timings for any caller who asks: not here.
      ApolloServerPluginInlineTraceDisabled(),
      errorLoggingPlugin(logger),
      requestObservabilityPlugin(logger, metrics),
      authenticationPlugin(),
      consistencyPlugin(routing, logger, config.exposeStatementCount),
      hostileInputPlugin(),
      ...limits.plugins,
      mutationThrottlePlugin(config.mutationsPerMinutePerPrincipal),
    ],
  });
  await apollo.start();

  async function contextFor(
    req: Pick<IncomingMessage, 'headers' | 'socket'>,
    count: StatementCount | null = null,
    reads: ReadsOf = { token: null, mayWrite: true },
    speculative: SpeculativeReads | null = null,
  ): Promise<RequestContext> {
    const routed = speculative ?? (await routing.readerFor(reads));
    const kept = speculative ? speculative.confirmed() : KEPT;
    const db = count ? routed.db.withPlugin(countStatements(count)) : routed.db;
    const loaders = createLoaders(db);
    const sharedReads = { db: routed.db, count };
    const header = req.headers.authorization;
    const client = clientAddress(req.socket?.remoteAddress, req.headers['x-forwarded-for'], config.trustedProxies);
    const uses = speculative ? usesOnceKept(lastUse, kept) : lastUse;
    const { auth, error, presentedApiKey } = await authenticate(Array.isArray(header) ? header[0] : header, {
      db,
      sharedReads,
      loaders,
      signer: services.signer,
      lastUse: uses,
    });
    return {
      services,
      db,
      sharedReads,
      loaders,
      decisions: new RequestDecisions(),
      metrics,
      requestId: randomUUID(),
      remoteAddress: client.address,
      userAgent: req.headers['user-agent']?.slice(0, 256) || null,
      viaTrustedProxy: client.viaTrustedProxy,
      auth,
      authError: error,
      presentedApiKey,
      apiKeyPending: presentedApiKey !== null,
      apiKeyLookup: null,
      lastUse: uses,
      counters,
      consistency: { servedBy: routed.servedBy, kept, committedWrite: false },
    };
  }

  const graphql = createGraphQLHandler(apollo, contextFor, {
    exposeStatementCount: config.exposeStatementCount,
    trustedDocuments: config.trustedDocuments,
    routing,
  });
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const done = (async () => {
      if (handleCors(req, res, url, config.corsOrigins)) return;
      if (url.pathname === '/graphql' && config.graphiql && isBrowserVisit(req, url)) return redirect(res, '/graphiql');
      if (url.pathname === '/graphql') return graphql(req, res, url);
      if (config.introspection && serveSchemaSdl(req, res, url)) return;
      // Neither writes through its context (counters and last use go to their own stores): a fresh replica serves.
      if (await serveModelCallAuthorization(req, res, url, (request) => contextFor(request, null, READS_ONLY))) return;
      if (await serveAuditExport(req, res, url, (request) => contextFor(request, null, READS_ONLY))) return;
      if (await serveOperations(req, res, url, { database, draining: () => draining })) return;
      if (config.metrics.listener === 'main' && (await serveMetrics(req, res, url, { metrics, token: config.metrics.token }))) return;
      if (config.graphiql && serveGraphiQL(req, res, url)) return;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Not found: the API is at /graphql' }));
    })();
    const settled = done.catch((error: unknown) => {
      logger.error({ err: error, url: url.pathname }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    });
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  });

  const metricsServer =
    config.metrics.listener && config.metrics.listener !== 'main'
      ? createMetricsServer({ metrics, token: config.metrics.token }, logger)
      : null;

  return {
    apollo,
    server,
    metricsServer,
    contextFor,
    drain() {
      draining = true;
    },
    /**
     * Stops accepting connections, lets the in-flight requests finish (keep-alive connections
     * closed as soon as they are idle, requests whose client has gone run to their end) and
     * cuts off whatever still runs after 10 s: the plugins above, run by `apollo.stop()`. Then
     * the caller may close the database.
     */
    async stop() {
      await apollo.stop();
      if (metricsServer?.listening) {
        const metricsClosed = new Promise((resolve) => metricsServer.close(resolve));
        metricsServer.closeAllConnections();
        await metricsClosed;
      }
      await lastUse.flush();
      await windowSweeper.stop();
      await counters.close();
      await routing.close();
    },
  };
}

const READS_ONLY: ReadsOf = { token: null, mayWrite: false };

/**
 * What Apollo's drain plugin does not cover: it waits for connections, and a request whose client
 * went away has none left while its handler still runs (and uses the database). Shutdown waits
 * for the handlers too, within the same grace period, so that the database may close after it.
 */
function drainRequestHandlers(server: Server, handlers: Set<Promise<void>>, graceMillis: number): ApolloServerPlugin<RequestContext> {
  return {
    async serverWillStart() {
      return {
        async drainServer() {
          // Closed: no connection left, so no request can start any more (never listening: nothing to wait for).
          const closed = server.listening ? new Promise((resolve) => server.once('close', resolve)) : Promise.resolve();
          let timer: NodeJS.Timeout | undefined;
          const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMillis)));
          const settled = (async () => {
            await closed;
            while (handlers.size > 0) await Promise.allSettled([...handlers]);
          })();
          try {
            await Promise.race([settled, expired]);
          } finally {
            clearTimeout(timer);
          }
        },
      };
    },
  };
}

/** A person opening `/graphql` in a browser (a page, with no query): GraphiQL is what they want. */
function isBrowserVisit(req: IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && !url.searchParams.has('query') && (req.headers.accept ?? '').includes('text/html');
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location });
  res.end();
}
