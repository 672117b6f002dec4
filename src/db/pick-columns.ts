/** One row's columns selected under a prefix (`key__id`, …), as a row of their own. */
export function pickColumns<T>(row: Record<string, unknown>, prefix: string, columns: readonly string[]): T {
  return Object.fromEntries(columns.map((column) => [column, row[`${prefix}${column}`]])) as T;
}
