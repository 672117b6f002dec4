import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../context.js';
import type { Logger } from '../logger.js';
import { operationLabel, outcomeLabel } from './metric-labels.js';
import type { Metrics } from './metrics.js';

/** The order of Array#sort without a compare function: by UTF-16 code units. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The operation's root fields as the client wrote them: for the log only, never a metric label. */
function rootFields(operation: OperationDefinitionNode | undefined | null): string {
  if (!operation) return 'unparsed';
  const names = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  return names.length ? [...new Set(names)].sort(byCodeUnits).join(',').slice(0, 200) : 'fragment';
}

/** One log line and one metric sample per request, with the request id and the principal (never secrets). */
export function requestObservabilityPlugin(logger: Logger, metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ contextValue, schema, document, operation, response, errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          // An answer read from a stale replica is not sent: the request's run that is sent counts.
          if (!(await contextValue.consistency.kept)) return;
          const label = operationLabel(schema, document, operation);
          const type = operation?.operation ?? 'unknown';
          const outcome = outcomeLabel(errors);
          metrics.requests.inc({ operation: label, type, outcome });
          metrics.latency.observe({ operation: label, type }, seconds);
          logger.info(
            {
              requestId: contextValue.requestId,
              principalId: contextValue.auth?.principal.id ?? null,
              via: contextValue.auth?.via ?? null,
              operation: rootFields(operation),
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
