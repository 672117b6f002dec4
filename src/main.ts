import type { Server } from 'node:http';
import { SessionSigner } from './auth/session.js';
import { resolveSigningKey } from './auth/signing-key.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { createGateway, gatewaySchema, type Gateway } from './app.js';
import { limitHeapGrowth } from './heap-growth.js';
import { createLogger } from './logger.js';
import { startTracing, stopTracing, tracingConfig, tracingStarted } from './observability/tracing.js';
import { describeStartupFailure, EXIT_CODES, ListenError } from './startup-errors.js';

async function main() {
  limitHeapGrowth();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(EXIT_CODES.config);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, config.logFormat);
  const tracing = tracingConfig();
  if (tracing && !tracingStarted()) {
    // Started too late to patch `node:http`, `graphql` and `pg` (already loaded): authorization and PGlite spans only.
    logger.warn(
      'OTEL_EXPORTER_OTLP_ENDPOINT is set: start with `node --import ./dist/src/observability/register-tracing.js` (npm start does) for HTTP, GraphQL and pg spans',
    );
    await startTracing(tracing);
  }
  // A setting the operator can fix (database, credentials, port, data folder) stops the start with
  // one line and an exit code of its own (src/startup-errors.ts); the detail is logged at debug level.
  let started: Awaited<ReturnType<typeof start>>;
  let opened: DatabaseHandle | undefined;
  try {
    started = await start(config, logger, (handle) => (opened = handle));
  } catch (error) {
    const failure = describeStartupFailure(error, { databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    if (!failure) throw error;
    logger.debug({ err: error }, 'start failed');
    console.error(failure.message);
    await opened?.close().catch(() => {});
    process.exit(failure.exitCode);
  }
  const { database, gateway, applied, noAccount } = started;

  // The first lines say where to go: GraphiQL (or /graphql), and how to get something to look at.
  const base = baseUrl(gateway.server, config.host);
  database.dataDirLock?.advertise(base); // the CLI works through this server while it holds the folder
  const graphiql = config.graphiql ? `${base}/graphiql` : null;
  logger.info(
    { url: `${base}/graphql`, ...(graphiql ? { graphiql } : {}), database: database.kind },
    `Model Studio gateway ready: ${graphiql ? `GraphiQL at ${graphiql}` : `GraphQL at ${base}/graphql`}`,
  );
  // The demo's password is published: production is never offered it (the CLI refuses it there too).
  if (!config.production) {
    logger.info(
      noAccount
        ? 'No account yet: sign up with the signUp mutation (README), or run `npm run seed:demo` for a demo account to explore'
        : 'A demo account to explore: `npm run seed:demo`',
    );
  } else if (noAccount) {
    logger.info('No account yet: sign up with the signUp mutation (README)');
  }
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');
  const { listener } = config.metrics;
  if (gateway.metricsServer && listener && listener !== 'main') {
    logger.info({ url: `http://${listener.host}:${listener.port}/metrics` }, 'metrics ready');
  }

  // SIGTERM: not ready any more (SHUTDOWN_DRAIN_SECONDS, for the load balancer's health check to
  // see it while requests are still served), then stop accepting, let in-flight requests finish,
  // close the pool, exit 0.
  const shutdown = async (signal: string) => {
    logger.info({ signal, drainSeconds: config.shutdownDrainSeconds }, 'shutting down');
    try {
      if (config.shutdownDrainSeconds > 0) {
        gateway.drain();
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainSeconds * 1000));
      }
      await gateway.stop();
      await database.close();
      await stopTracing();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  // Once: Ctrl-C under `npm start` reaches this process twice (from the terminal, and forwarded by
  // npm), and the second must not cut the shutdown short (it ends within 10 s whatever happens).
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Opens and migrates the database, builds the gateway and listens: what can fail on a bad setting. */
async function start(config: Config, logger: ReturnType<typeof createLogger>, opened: (database: DatabaseHandle) => void) {
  const opening = openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl, replicaUrls: config.replicaUrls }
      : { kind: 'pglite', dataDir: config.dataDir, holder: 'server' },
  );
  // Built while a first embedded start copies its data folder in a worker thread.
  const schema = gatewaySchema(config);
  const database = await opening;
  opened(database);
  const applied = await migrateToLatest(database.db);
  await checkReplicas(database, logger);
  const noAccount = !(await database.db.selectFrom('account').select('id').limit(1).executeTakeFirst());
  const signer = new SessionSigner(resolveSigningKey(config.jwtSecret, config.dataDir), config.sessionTtlSeconds);
  const gateway: Gateway = await createGateway({ db: database.db, config, signer, logger }, database, schema);
  const { listener } = config.metrics;
  if (gateway.metricsServer && listener && listener !== 'main') {
    await listen(gateway.metricsServer, 'METRICS_PORT', listener.port, listener.host);
  }
  // Last: from its first answer on, nothing is awaited before SIGTERM is handled.
  await listen(gateway.server, 'PORT', config.port, config.host);
  return { database, gateway, applied, noAccount };
}

/** A replica that is down starts nothing wrong (reads go to the primary); one that is no standby is a setting to fix. */
async function checkReplicas(database: DatabaseHandle, logger: ReturnType<typeof createLogger>) {
  for (const replica of database.replicas) {
    const state = await replica.refresh();
    if (state === 'not standby')
      logger.warn({ replica: replica.name }, 'DATABASE_REPLICA_URLS: this server is not a standby; it serves no reads');
    else if (state === 'down')
      logger.warn({ replica: replica.name }, 'DATABASE_REPLICA_URLS: replica unreachable; reads go to the primary until it answers');
    else logger.info({ replica: replica.name }, 'read replica ready');
  }
}

function listen(server: Server, setting: ListenError['setting'], port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(new ListenError(setting, host, port, error));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** The address clients reach the server at: the port it got, and a loopback address for a wildcard host. */
function baseUrl(server: Server, host: string): string {
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
