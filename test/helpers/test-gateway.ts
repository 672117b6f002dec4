import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { createGateway, type Gateway } from '../../src/app.js';
import { SessionSigner } from '../../src/auth/session.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { GraphQLClient } from './graphql-client.js';
import { openTestDatabase } from './test-database.js';

export const TEST_JWT_SECRET = 'test-signing-key-that-is-long-enough-0123456789';

export interface TestGateway {
  url: string;
  client: GraphQLClient;
  database: DatabaseHandle;
  /** The PostgreSQL database's URL (PostgreSQL runs only), for a second server process. */
  databaseUrl: string | undefined;
  gateway: Gateway;
  config: Config;
  close(): Promise<void>;
}

export async function startTestGateway(overrides: Partial<Config> = {}, options: { logger?: Logger } = {}): Promise<TestGateway> {
  const database = await openTestDatabase();
  const config: Config = {
    // EXECUTOR in the environment runs the suite with either executor (src/jit-executor.ts).
    ...loadConfig({ NODE_ENV: 'test', EXECUTOR: process.env.EXECUTOR }),
    jwtSecret: TEST_JWT_SECRET,
    passwordHashCost: 10,
    logLevel: 'silent',
    // Tests sign up and log in many times from 127.0.0.1; the throttling test sets its own limits.
    authLimits: { signUpsPerHourPerAddress: 1_000_000, loginsPerMinutePerAddress: 1_000_000, failedLoginsBeforeLockout: 1_000_000 },
    mutationsPerMinutePerPrincipal: 1_000_000,
    ...overrides,
  };
  if (config.jwtSecret === undefined) {
    throw new Error('startTestGateway: the configuration has no jwtSecret');
  }
  const signer = new SessionSigner(config.jwtSecret, config.sessionTtlSeconds);
  const gateway = await createGateway(
    { db: database.db, config, signer, logger: options.logger ?? createLogger(config.logLevel) },
    database,
  );
  await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
  const { port } = gateway.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    url,
    client: new GraphQLClient(url),
    database,
    databaseUrl: database.url,
    gateway,
    config,
    async close() {
      await gateway.stop();
      await database.close();
    },
  };
}

/** One gateway (and database) per test file, started before its tests and stopped after. */
export function gatewayForThisFile(overrides: Partial<Config> = {}): TestGateway {
  let started: TestGateway | undefined;
  beforeAll(async () => {
    started = await startTestGateway(overrides);
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as TestGateway, {
    get: (_target, key) => {
      if (started === undefined) {
        throw new Error(`gatewayForThisFile: read ${String(key)} before the gateway started (use it inside a test or hook)`);
      }
      return Reflect.get(started, key);
    },
  });
}
