import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { PASSWORD, attachPolicy, createUser, signUp, type TestAccount } from '../helpers/fixtures.js';
import { startServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

/** Mutations are throttled per principal: 429 with Retry-After, before anything runs. */
const LIMIT = 5;
const CREATE_USER = (alias: string) =>
  `${alias}: createRamUser(input: { name: "${alias}-${Date.now()}", displayName: "${alias}", password: "${PASSWORD}" }) { id }`;

async function post(url: string, token: string, query: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> },
  };
}

const userCount = async (t: TestGateway, accountId: string) =>
  Number(
    (
      await t.database.db
        .selectFrom('principal')
        .where('account_id', '=', accountId)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('per-principal mutation throttling', () => {
  let t: TestGateway;
  let root: TestAccount;
  beforeAll(async () => {
    t = await startTestGateway({ mutationsPerMinutePerPrincipal: LIMIT });
    root = await signUp(t.client);
  });
  afterAll(() => t?.close());

  it('every root field counts, aliases included; past the limit the request answers 429 and writes nothing', async () => {
    // Three fields in one request, then two: the limit is used up exactly.
    const three = await post(t.url, root.token, `mutation { ${CREATE_USER('a')} ${CREATE_USER('b')} ${CREATE_USER('c')} }`);
    expect(three.body.errors).toBeUndefined();
    const two = await post(t.url, root.token, `mutation { ${CREATE_USER('d')} ...More } fragment More on Mutation { ${CREATE_USER('e')} }`);
    expect(two.body.errors).toBeUndefined();

    const before = await userCount(t, root.accountId);
    const refused = await post(t.url, root.token, `mutation { ${CREATE_USER('f')} }`);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      {
        message: expect.stringMatching(/^Too many mutations: at most 5 a minute per principal; retry in \d+ s$/),
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Number(refused.retryAfter) },
      },
    ]);
    expect(await userCount(t, root.accountId)).toBe(before);
  });

  it('queries are not counted, and another principal has a limit of its own', async () => {
    expect((await post(t.url, root.token, '{ viewer { principal { id } } }')).body.errors).toBeUndefined();
    const other = await signUp(t.client);
    expect((await post(t.url, other.token, `mutation { ${CREATE_USER('g')} }`)).body.errors).toBeUndefined();
  });

  it('a RAM user of the same account is counted apart from its root', async () => {
    const fresh = await signUp(t.client);
    const user = await createUser(t.client, fresh.token);
    await attachPolicy(t.client, fresh.token, user.id, 'AliyunRAMFullAccess');
    // The root has used 2 of its 5; the user may still make 5 of its own.
    for (let i = 0; i < LIMIT; i++) expect((await post(t.url, user.token, `mutation { ${CREATE_USER(`h${i}`)} }`)).status).toBe(200);
    expect((await post(t.url, user.token, `mutation { ${CREATE_USER('h')} }`)).status).toBe(429);
    expect((await post(t.url, fresh.token, `mutation { ${CREATE_USER('i')} }`)).status).toBe(200);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('the count is shared by every server process', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ mutationsPerMinutePerPrincipal: LIMIT });
  });
  afterAll(() => t?.close());

  it('mutations through one process use up the limit in the other', async () => {
    const root = await signUp(t.client);
    const other = await startServerProcess(defined(t.databaseUrl, 'the URL of the test database (PostgreSQL runs only)'), {
      MUTATION_LIMIT_PER_MINUTE: String(LIMIT),
    });
    try {
      for (let i = 0; i < LIMIT; i++) expect((await post(t.url, root.token, `mutation { ${CREATE_USER(`p${i}`)} }`)).status).toBe(200);
      const viaOther = await post(other.url, root.token, `mutation { ${CREATE_USER('q')} }`);
      expect(viaOther.status).toBe(429);
      expect(viaOther.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await other.stop();
    }
  });
});
