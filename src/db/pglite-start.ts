import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's own start parameters, with 32 MB of shared buffers instead of the data folder's 128 MB
 * (initdb's default): PGlite zeroes them in WebAssembly memory at every start, a large part of
 * the start's time and memory, and an embedded database's working set fits in far less.
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];
