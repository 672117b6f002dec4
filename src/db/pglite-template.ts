import { existsSync, renameSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { projectRoot } from '../project-root.js';
import { migrateToLatest } from './migrate.js';
import { PGliteDialect } from './pglite-dialect.js';
import { PGLITE_START_PARAMS } from './pglite-start.js';

/**
 * A migrated, empty PGlite data folder, made at build time and shut down cleanly. A first start
 * copies its files (no initdb in WebAssembly, nothing to migrate) and PostgreSQL opens it as it
 * left it. A dump of a running instance (`dumpDataDir`, `loadDataDir`) would instead start with
 * crash recovery and an end-of-recovery checkpoint, after PGlite unpacked it file by file through
 * its WebAssembly file system.
 */
export const PGLITE_TEMPLATE_DIR = join(projectRoot(), 'dist', 'pglite-template');

export async function buildPgliteTemplate(dir = PGLITE_TEMPLATE_DIR): Promise<void> {
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  const db = new Kysely<unknown>({
    dialect: new PGliteDialect(await PGlite.create({ dataDir: building, startParams: PGLITE_START_PARAMS })),
  });
  await migrateToLatest(db);
  // Closes PGlite: a shutdown checkpoint, so the copy needs no recovery.
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
}

/**
 * Fills an empty data folder from the template, if the build made one; false when it did not.
 * The copy runs in a worker thread: the start builds its schema meanwhile (src/main.ts).
 */
export async function copyTemplateInto(dataDir: string, template = PGLITE_TEMPLATE_DIR): Promise<boolean> {
  if (existsSync(join(dataDir, 'PG_VERSION')) || !existsSync(join(template, 'PG_VERSION'))) return false;
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(COPY_TEMPLATE, { eval: true, workerData: { template, dataDir } });
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`copying the PGlite template stopped (exit code ${code})`))));
  });
  return true;
}

// PG_VERSION last: a copy cut short leaves a folder that the next start fills again.
const COPY_TEMPLATE = `
const { cpSync } = require('node:fs');
const { join } = require('node:path');
const { template, dataDir } = require('node:worker_threads').workerData;
const marker = join(template, 'PG_VERSION');
cpSync(template, dataDir, { recursive: true, filter: (source) => source !== marker });
cpSync(marker, join(dataDir, 'PG_VERSION'));
`;
