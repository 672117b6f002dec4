import { GraphQLError } from 'graphql';

/** The error codes of the API contract (docs/api.md). Every error the API returns has one. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

function apiError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export const unauthenticated = (message = 'Authentication required: missing, invalid or expired credentials') =>
  apiError('UNAUTHENTICATED', message);

export const forbidden = (message = 'You are not allowed to perform this operation', reasons: string[] = []) =>
  apiError('FORBIDDEN', message, reasons.length ? { reasons } : {});

export const notFound = (what = 'Resource') => apiError('NOT_FOUND', `${what} not found`);

/** `field` names the input field at fault, as a dotted path (`input.name`). */
export const badUserInput = (field: string, message: string) => apiError('BAD_USER_INPUT', `${field}: ${message}`, { field });

export const conflict = (message: string, field?: string) => apiError('CONFLICT', message, field ? { field } : {});

/** A store the answer depends on is down: the caller may retry; nothing is allowed by default. */
export const serviceUnavailable = (message: string) => apiError('SERVICE_UNAVAILABLE', message);

export function isApiError(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && typeof error.extensions?.code === 'string';
}
