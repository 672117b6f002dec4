/** PostgreSQL error codes the application turns into API errors (same on pg and PGlite). */
const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';

interface PgError {
  code?: string;
  constraint?: string;
}

const asPgError = (error: unknown): PgError => (typeof error === 'object' && error !== null ? (error as PgError) : {});

/** The violated unique index's name, when `error` is a unique violation. */
export function uniqueViolation(error: unknown): string | null {
  const e = asPgError(error);
  return e.code === UNIQUE_VIOLATION ? (e.constraint ?? '') : null;
}

export function checkViolation(error: unknown): string | null {
  const e = asPgError(error);
  return e.code === CHECK_VIOLATION ? (e.constraint ?? '') : null;
}
