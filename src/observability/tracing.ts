import type { IncomingMessage } from 'node:http';
import type { NodeSDK } from '@opentelemetry/sdk-node';

/** What tracing needs to start; null: off (no OTLP endpoint configured). */
export interface TracingConfig {
  /** The resource's `service.name`: `OTEL_SERVICE_NAME`, or `model-studio-gateway`. */
  serviceName: string;
}

/**
 * Tracing is on when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`). Reads the
 * environment only: it runs before the configuration is loaded (register-tracing.ts), and the
 * exporter reads the same variables itself (src/config.ts validates them, for the error message).
 */
export function tracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig | null {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  return { serviceName: env.OTEL_SERVICE_NAME || 'model-studio-gateway' };
}

/** Probes and scrapes are not traced: they would drown the requests. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

let sdk: NodeSDK | null = null;

/**
 * Starts the OpenTelemetry Node SDK: spans of HTTP requests, of GraphQL parsing, validation and
 * execution, and of every `pg` statement, exported over OTLP (`OTEL_EXPORTER_OTLP_PROTOCOL`,
 * http/protobuf by default) in batches. Off (null config) it loads nothing at all.
 *
 * The instrumentations patch modules as they load: this must run before `pg`, `graphql` and
 * `node:http` are imported, which is what the `--import` of register-tracing.js is for.
 */
export async function startTracing(config: TracingConfig | null): Promise<boolean> {
  if (!config || sdk) return sdk !== null;
  const [{ NodeSDK }, { HttpInstrumentation }, { GraphQLInstrumentation }, { PgInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  sdk = new NodeSDK({
    serviceName: config.serviceName,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.has(new URL(request.url ?? '/', 'http://x').pathname),
        // The gateway calls nobody over HTTP in a request; anything else (the exporter) is noise.
        requireParentforOutgoingSpans: true,
        // A GET's query string carries the document and its variables (passwords, tokens).
        redactedQueryParamsServer: ['query', 'variables', 'extensions', 'operationName'],
      }),
      // One span per list field, not per item; no spans for default resolvers. Literal values in
      // `graphql.source` are replaced by `*` (allowValues is off).
      new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
      // Statement text only: parameter values (hashes, secrets) are never recorded.
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
    // Traces only: no metric readers (Prometheus serves /metrics) nor log exporters.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return true;
}

/** Whether the SDK was started in this process (by register-tracing.ts, or late by main.ts). */
export function tracingStarted(): boolean {
  return sdk !== null;
}

/** Exports the spans still buffered and stops; a no-op when tracing is off. */
export async function stopTracing(): Promise<void> {
  const started = sdk;
  sdk = null;
  await started?.shutdown();
}
