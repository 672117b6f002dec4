import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, outcomeOf } from '../helpers/graphql-client.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { signUp } from '../helpers/fixtures.js';
import { defined } from '../helpers/assertions.js';

const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
const ATTEMPTS = 40;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const at = (index: number) => defined(sorted[index], `value ${index} of ${sorted.length}`);
  return sorted.length % 2 ? at(Math.floor(middle)) : (at(middle - 1) + at(middle)) / 2;
};

/**
 * A failed login takes as long whether or not the name exists: the answer's timing must not
 * tell an attacker which login names are real. Measured at the production hash cost.
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('login timing does not reveal whether a name exists', () => {
  let t: TestGateway;
  let server: ServerProcess | undefined;
  let knownName: string;

  beforeAll(async () => {
    t = await startTestGateway();
    const started = await startServerProcess(defined(t.databaseUrl, 'the database URL'), { PASSWORD_HASH_COST: '15' });
    server = started;
    // Signed up through the server process, so that its hash has the production cost too.
    knownName = (await signUp(new GraphQLClient(started.url))).email;
  });
  afterAll(async () => {
    await server?.stop();
    await t?.close();
  });

  it('the median failed login of a known name and of an unknown one are within 15%', async () => {
    const client = new GraphQLClient(defined(server, 'the server process').url);
    const timed = async (loginName: string) => {
      const started = performance.now();
      const result = await client.request(LOGIN, { i: { loginName, password: 'not the password at all' } });
      expect(outcomeOf(result)).toBe('UNAUTHENTICATED');
      return performance.now() - started;
    };
    const unknownName = (i: number) => `nobody-${i}-${Date.now()}@example.com`;
    // Warm-up, not measured: the first of each kind pays for one-time work (connections, JIT).
    await timed(knownName);
    await timed(unknownName(-1));

    /** One run of ATTEMPTS, in ABBA order so that a machine slowing down or speeding up favours neither kind. */
    const measure = async () => {
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < ATTEMPTS / 4; i++) {
        known.push(await timed(knownName));
        unknown.push(await timed(unknownName(2 * i)));
        unknown.push(await timed(unknownName(2 * i + 1)));
        known.push(await timed(knownName));
      }
      return {
        ratio: median(unknown) / median(known),
        detail: `median unknown ${median(unknown).toFixed(1)} ms, known ${median(known).toFixed(1)} ms`,
      };
    };
    // The suite runs files side by side on few cores: a burst of another file's work can skew one
    // run, so up to three are made. A real difference (twice the time, before the fix) shows in every one.
    const runs = [];
    for (let run = 0; run < 3; run++) {
      runs.push(await measure());
      if (Math.abs(Math.log(defined(runs.at(-1), 'the latest run').ratio)) < Math.log(1.15)) break;
    }
    const last = defined(runs.at(-1), 'the latest run');
    expect(last.ratio, runs.map((r) => r.detail).join('; ')).toBeGreaterThan(1 / 1.15);
    expect(last.ratio, runs.map((r) => r.detail).join('; ')).toBeLessThan(1.15);
  }, 90_000);
});
