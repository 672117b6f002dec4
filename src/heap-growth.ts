import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what its last full collection kept: 100% (a
 * factor of 2), where V8 picks up to 4 when collections are quick. The gateway keeps little alive
 * between requests, but what a request allocates while it waits on the database survives a
 * scavenge and is promoted; with V8's own factor the heap grew to about four times what lives
 * before each full collection, and RSS with it (the README's issue #16 table has the figures and
 * the command that measures them).
 */
const HEAP_GROWING_PERCENT = 100;

/** Whether Node was started with its own `--heap-growing-percent`. */
export const operatorSetHeapGrowth = (execArgv: readonly string[]): boolean =>
  execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));

/** Sets the gateway's heap growth, unless the operator set it (`node --heap-growing-percent=N dist/src/main.js`). */
export function limitHeapGrowth(): void {
  if (!operatorSetHeapGrowth(process.execArgv)) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
