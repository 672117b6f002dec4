import type { IncomingMessage } from 'node:http';
import { createGateway, type Gateway } from '../app.js';
import { SessionSigner } from '../auth/session.js';
import { resolveSigningKey } from '../auth/signing-key.js';
import { loadConfig, type Config } from '../config.js';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createLogger } from '../logger.js';
import { GraphQLRequestError, type GraphQLExecutor } from './executor.js';

/**
 * The gateway in-process, for the CLI: the same schema, rules and services as the server. On the
 * embedded database it holds the data folder's lock until close() (src/db/embedded-lock.ts).
 */
export interface Runtime extends GraphQLExecutor {
  config: Config;
  database: DatabaseHandle;
  gateway: Gateway;
  signer: SessionSigner;
  /** Runs an operation through the real schema (shield rules included) as the token's principal. */
  execute<T = unknown>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  close(): Promise<void>;
}

export async function openRuntime(): Promise<Runtime> {
  // The operator's own tool: no per-principal mutation throttling (the demo alone makes dozens).
  const config = { ...loadConfig(), mutationsPerMinutePerPrincipal: null };
  const database = await openDatabase(
    config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir },
  );
  await migrateToLatest(database.db);
  const signer = new SessionSigner(resolveSigningKey(config.jwtSecret, config.dataDir), config.sessionTtlSeconds);
  const gateway = await createGateway({ db: database.db, config, signer, logger: createLogger('silent') }, database);
  return {
    config,
    database,
    gateway,
    signer,
    async execute<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
      const request = { headers: token ? { authorization: `Bearer ${token}` } : {}, socket: { remoteAddress: '127.0.0.1' } };
      const contextValue = await gateway.contextFor(request as unknown as IncomingMessage);
      const response = await gateway.apollo.executeOperation({ query, variables }, { contextValue });
      if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
      const { data, errors } = response.body.singleResult;
      if (errors?.length) throw new GraphQLRequestError(errors);
      return data as T;
    },
    async close() {
      await gateway.apollo.stop();
      await database.close();
    },
  };
}
