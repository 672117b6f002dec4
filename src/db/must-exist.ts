/**
 * A row the database guarantees (a foreign key, or a rule that located it earlier in the same
 * request): its absence is a broken invariant, answered as an internal error, never as data.
 */
export function mustExist<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`Invariant broken: ${what} is missing`);
  return value;
}
