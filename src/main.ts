import { SessionSigner } from './auth/session.js';
import { resolveSigningKey } from './auth/signing-key.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { createGateway } from './app.js';
import { createLogger } from './logger.js';
import { startTracing, stopTracing, tracingConfig, tracingStarted } from './observability/tracing.js';

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const tracing = tracingConfig();
  if (tracing && !tracingStarted()) {
    // Started too late to patch `node:http`, `graphql` and `pg` (already loaded): authorization and PGlite spans only.
    logger.warn(
      'OTEL_EXPORTER_OTLP_ENDPOINT is set: start with `node --import ./dist/src/observability/register-tracing.js` (npm start does) for HTTP, GraphQL and pg spans',
    );
    await startTracing(tracing);
  }
  const database = await openDatabase(
    config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
  );
  const applied = await migrateToLatest(database.db);
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');
  if (!(await database.db.selectFrom('account').select('id').limit(1).executeTakeFirst())) {
    // The demo's password is published: production is never offered it (the CLI refuses it there too).
    const demo = config.production ? '' : ', or run `npm run seed:demo` for a demo account to explore';
    logger.info(`No account yet: sign up with the signUp mutation (README)${demo}`);
  }

  const signer = new SessionSigner(resolveSigningKey(config.jwtSecret, config.dataDir), config.sessionTtlSeconds);
  const gateway = await createGateway({ db: database.db, config, signer, logger }, database);
  gateway.server.listen(config.port, config.host, () => {
    logger.info({ url: `http://${config.host}:${config.port}/graphql`, database: database.kind }, 'Model Studio gateway ready');
  });
  const { listener } = config.metrics;
  if (gateway.metricsServer && listener && listener !== 'main') {
    gateway.metricsServer.listen(listener.port, listener.host, () =>
      logger.info({ url: `http://${listener.host}:${listener.port}/metrics` }, 'metrics ready'),
    );
  }

  // SIGTERM: stop accepting, let in-flight requests finish, close the pool, exit 0.
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    try {
      await gateway.stop();
      await database.close();
      await stopTracing();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main();
