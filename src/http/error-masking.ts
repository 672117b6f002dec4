import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { RequestContext } from '../context.js';
import type { Logger } from '../logger.js';

/** Codes that are safe to show as they are: the contract's, and GraphQL's own request errors. */
const PUBLIC_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_COSTLY',
  'RATE_LIMITED',
]);

/** What a client told SERVICE_UNAVAILABLE is asked to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable; retry shortly';

/** SQLSTATEs of a database that is down, starting, stopping or full (classes 08 and 57P, and 53300). */
const UNAVAILABLE_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300']);
/** Socket errors on the way to the database. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** What node-postgres and pg-pool say when a connection is lost or cannot be had in time. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|Query read timeout/i;

/**
 * Whether `error`, or an error it wraps (`originalError`, `cause`, an AggregateError's `errors`),
 * says the database cannot be reached right now: the request may succeed if retried.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 8) return false;
  const e = error as { code?: unknown; message?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_ERRNOS.has(e.code))) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
  if (isDatabaseUnavailable(e.originalError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1)) return true;
  return Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/**
 * A database outage becomes SERVICE_UNAVAILABLE (the client may retry); anything else unexpected
 * becomes a bare INTERNAL_SERVER_ERROR: no message, stack, SQL or path of ours.
 */
export function formatError(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code === 'SERVICE_UNAVAILABLE' || isDatabaseUnavailable(error)) {
    return {
      message: DATABASE_UNAVAILABLE_MESSAGE,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  }
  if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
    const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  return {
    message: 'Internal server error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** Logs unexpected errors with the request id, and hands that id to the client to quote. */
export function errorLoggingPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    // A request whose context could not be built (authentication reads the database) runs no pipeline.
    async contextCreationDidFail({ error }) {
      if (isDatabaseUnavailable(error)) logger.warn({ err: error }, 'database unavailable');
      else logger.error({ err: error }, 'context creation failed');
    },
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (code === 'SERVICE_UNAVAILABLE' || isDatabaseUnavailable(error)) {
              logger.warn(
                { requestId: contextValue.requestId, operationName, path: error.path, err: error.originalError ?? error },
                'database unavailable',
              );
              continue;
            }
            if (typeof code === 'string' && PUBLIC_CODES.has(code)) continue;
            logger.error(
              { requestId: contextValue.requestId, operationName, path: error.path, err: error.originalError ?? error },
              'unexpected error',
            );
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          // Nothing served because the database is down: 503, so that proxies and clients retry.
          const data = response.body.singleResult.data;
          const nothingServed = data == null || Object.values(data).every((value) => value === null);
          if (nothingServed && errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) {
            response.http.status = 503;
            response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
          }
          if (!errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) return;
          response.body.singleResult.errors = errors.map((e) =>
            e.extensions?.code === 'INTERNAL_SERVER_ERROR'
              ? { ...e, extensions: { ...e.extensions, requestId: contextValue.requestId } }
              : e,
          );
        },
      };
    },
  };
}
