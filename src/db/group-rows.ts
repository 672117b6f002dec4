/** Groups rows by key in the order DataLoader asked for them. */
export function byKey<K, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): R[][] {
  const groups = new Map<K, R[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

/** One row (or null) per key, in the order DataLoader asked for them. */
export const oneByKey = <K, R>(keys: readonly K[], rows: R[], keyOf: (row: R) => K): Array<R | null> =>
  byKey(keys, rows, keyOf).map((group) => group[0] ?? null);
