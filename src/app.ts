import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
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
import { LastUseRecorder } from './auth/last-use.js';
import { createCallCounters } from './usage/call-counters.js';

export interface Gateway {
  apollo: ApolloServer<RequestContext>;
  server: Server;
  /** `/metrics` on a listener of its own (METRICS_PORT / METRICS_HOST); the caller listens. Null otherwise. */
  metricsServer: Server | null;
  contextFor(req: Pick<IncomingMessage, 'headers' | 'socket'>, count?: StatementCount | null): Promise<RequestContext>;
  stop(): Promise<void>;
}

/**
 * Builds the HTTP server: `/graphql` (Apollo behind graphql-shield), `/healthz`, `/readyz`, and
 * `/metrics` where the configuration puts it.
 */
export async function createGateway(services: Services, database: Pick<DatabaseHandle, 'ping' | 'db' | 'poolStats'>): Promise<Gateway> {
  const { config, logger } = services;
  const metrics = createMetrics(() => database.poolStats());
  const limits = queryLimits();
  const lastUse = new LastUseRecorder(services.db, logger);
  const counters = createCallCounters({ redisUrl: config.redisUrl, db: services.db });
  const apollo = new ApolloServer<RequestContext>({
    schema: buildSchema({
      allowAll: config.benchAllowAll,
      federation: config.federation ? { serviceSdl: config.introspection } : undefined,
    }),
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
      // The schema has no cache hints: Apollo's implicit cache-control plugin would instrument every field for nothing.
      ApolloServerPluginCacheControlDisabled(),
      // A subgraph schema (FEDERATION) turns on Apollo's inline traces, per-field timings for any caller who asks: not here.
      ApolloServerPluginInlineTraceDisabled(),
      errorLoggingPlugin(logger),
      requestObservabilityPlugin(logger, metrics),
      authenticationPlugin(),
      hostileInputPlugin(),
      mutationThrottlePlugin(config.mutationsPerMinutePerPrincipal),
    ],
  });
  await apollo.start();

  async function contextFor(
    req: Pick<IncomingMessage, 'headers' | 'socket'>,
    count: StatementCount | null = null,
  ): Promise<RequestContext> {
    const db = count ? services.db.withPlugin(countStatements(count)) : services.db;
    const loaders = createLoaders(db);
    const header = req.headers.authorization;
    const client = clientAddress(req.socket?.remoteAddress, req.headers['x-forwarded-for'], config.trustedProxies);
    const { auth, error, presentedApiKey } = await authenticate(Array.isArray(header) ? header[0] : header, {
      loaders,
      signer: services.signer,
      lastUse,
    });
    return {
      services,
      db,
      loaders,
      decisions: new Map(),
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
      lastUse,
      counters,
    };
  }

  const graphql = createGraphQLHandler(apollo, contextFor, {
    exposeStatementCount: config.exposeStatementCount,
    trustedDocuments: config.trustedDocuments,
  });
  /** Requests still running: a client that went away leaves its request running on the server. */
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const done = (async () => {
      if (handleCors(req, res, url, config.corsOrigins)) return;
      if (url.pathname === '/graphql' && config.graphiql && isBrowserVisit(req, url)) return redirect(res, '/graphiql');
      if (url.pathname === '/graphql') return graphql(req, res, url);
      if (config.introspection && serveSchemaSdl(req, res, url)) return;
      if (await serveModelCallAuthorization(req, res, url, (request) => contextFor(request))) return;
      if (await serveAuditExport(req, res, url, (request) => contextFor(request))) return;
      if (await serveOperations(req, res, url, { database })) return;
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
    /**
     * Stops accepting connections and lets the in-flight requests finish. Keep-alive connections
     * would otherwise hold the server open until they time out (or forever, if their client keeps
     * using them): responses from now on say `connection: close`, and connections are closed as
     * soon as they are idle. Requests whose client has gone still run to the end, so that the
     * caller may close the database after this. Whatever still runs after 10 s is cut off.
     */
    async stop() {
      server.on('request', (_req, res) => res.setHeader('connection', 'close'));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      let expire: () => void = () => {};
      const expired = new Promise<void>((resolve) => (expire = resolve));
      const deadline = setTimeout(() => {
        server.closeAllConnections();
        expire();
      }, 10_000);
      try {
        await closed;
        await Promise.race([Promise.allSettled([...inFlight]), expired]);
      } finally {
        clearInterval(idle);
        clearTimeout(deadline);
      }
      if (metricsServer?.listening) {
        const metricsClosed = new Promise((resolve) => metricsServer.close(resolve));
        metricsServer.closeAllConnections();
        await metricsClosed;
      }
      await apollo.stop();
      await lastUse.flush();
      await counters.close();
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
