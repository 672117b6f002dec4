/**
 * The value when it is neither undefined nor null; otherwise a thrown assertion error naming what was missing.
 * Use it where a test (or fixture) cannot go on without the value: the failure then says what was absent.
 */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) {
    throw new Error(`Expected ${what} to be defined, got ${String(value)}`);
  }
  return value;
}
