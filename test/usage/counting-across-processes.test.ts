import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { defined } from '../helpers/assertions.js';
import { GraphQLClient } from '../helpers/graphql-client.js';
import { modelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { authorizeCall, enforcedWorkspace, tally } from './support.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Two gateway processes on one PostgreSQL database share the (workspace, model) windows: the
 * counters live in the database, or in Redis when both are told REDIS_URL. (PGlite is one
 * process's database: PostgreSQL only.)
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('counting across two server processes', () => {
  describe.each<[string, Partial<Config>, Record<string, string>]>([
    ['the database', {}, {}],
    ['Redis', { redisUrl: REDIS_URL }, { REDIS_URL }],
  ])('request windows counted in %s', (_store, overrides, env) => {
    const a = gatewayForThisFile(overrides);
    let b: ServerProcess | undefined;
    let viaB: GraphQLClient;

    beforeAll(async () => {
      b = await startServerProcess(defined(a.databaseUrl, 'the URL of the test database (PostgreSQL runs only)'), env);
      viaB = new GraphQLClient(b.url);
    }, 60_000);
    afterAll(async () => {
      await b?.stop();
    });

    it('30 concurrent calls, half through each process, against a limit of 11 allow exactly 11', async () => {
      const account = await modelStudioAccount(a.client);
      const { key } = await enforcedWorkspace(a.client, account, 'qwen-max', { requestLimit: 11, requestLimitPeriodSeconds: 60 });
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => authorizeCall(i % 2 === 0 ? a.client : viaB, key.secret, 'qwen-max')),
      );
      const { allowed, others } = tally(answers);
      expect(allowed).toHaveLength(11);
      expect(others).toEqual(Array(19).fill('RATE_LIMITED'));
      expect(allowed.map((answer) => answer.rateLimit?.remaining ?? -1).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Both processes see the window used up.
      for (const client of [a.client, viaB]) {
        const next = await authorizeCall(client, key.secret, 'qwen-max');
        expect(next).toMatchObject({ allowed: false, reason: 'RATE_LIMITED', rateLimit: { limit: 11, remaining: 0 } });
      }
    });
  });
});
