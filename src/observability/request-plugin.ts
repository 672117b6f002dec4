import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

/** The operation's root fields: a label bounded by the schema, unlike client-chosen operation names. */
function rootFields(operation: OperationDefinitionNode | undefined | null): string {
  if (!operation) return 'unparsed';
  const names = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  return names.length ? [...new Set(names)].sort().join(',').slice(0, 200) : 'fragment';
}

/** One log line and one metric sample per request, with the request id and the principal (never secrets). */
export function requestObservabilityPlugin(logger: Logger, metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, operation, response, errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const operationLabel = rootFields(operation);
          const type = operation?.operation ?? 'unknown';
          const codes = (errors ?? []).map((e) => e.extensions?.code);
          const outcome = codes.length === 0 ? 'ok' : String(codes[0] ?? 'error');
          metrics.requests.inc({ operation: operationLabel, type, outcome });
          metrics.latency.observe({ operation: operationLabel, type }, seconds);
          logger.info(
            {
              requestId: contextValue.requestId,
              principalId: contextValue.auth?.principal.id ?? null,
              via: contextValue.auth?.via ?? null,
              operation: operationLabel,
              type,
              outcome,
              status: response.http.status ?? 200,
              ms: Math.round(seconds * 1000 * 10) / 10,
            },
            'graphql request',
          );
        },
      };
    },
  };
}
