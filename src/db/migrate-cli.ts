import { loadConfig } from '../config.js';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';

const config = loadConfig();
const database = await openDatabase(
  config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
);
const applied = await migrateToLatest(database.db);
console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date');
await database.close();
