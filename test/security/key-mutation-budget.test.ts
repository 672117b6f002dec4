import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../helpers/fixtures.js';
import { firstError, outcomeOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import {
  DELETE_API_KEY,
  createKey,
  modelStudioAccount,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

/**
 * The mutation budget is per credential: a leaked key spending its own budget (on refused
 * mutations, which count too) leaves its owner's session free to revoke it, and revoking
 * mutations have a budget of their own that ordinary mutations do not use up.
 */
const LIMIT = 5;
const CREATE_USER = `mutation($n: String!) { createRamUser(input: { name: $n, displayName: "x", password: "${PASSWORD}" }) { id } }`;
const CREATE_WORKSPACE = `mutation($n: String!) { createWorkspace(input: { name: $n, region: CN_BEIJING }) { id } }`;

let counter = 0;
const fresh = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`;

describe('per-credential mutation budgets', () => {
  let t: TestGateway;
  let root: ModelStudioAccount;
  let key: CreatedKey;

  beforeAll(async () => {
    t = await startTestGateway({ mutationsPerMinutePerPrincipal: LIMIT });
    // activateModelStudio, createWorkspace and createApiKey: the root's session has 2 left.
    root = await modelStudioAccount(t.client);
    key = await createKey(t.client, root.token, root.W);
  });
  afterAll(() => t?.close());

  const viaKey = () => t.client.request(CREATE_WORKSPACE, { n: fresh('ws') }, { token: key.secret });
  const viaSession = () => t.client.request(CREATE_USER, { n: fresh('user') }, { token: root.token });
  const expect429 = (result: GraphQLResponse) => {
    expect(result.status).toBe(429);
    expect(outcomeOf(result)).toBe('RATE_LIMITED');
  };

  it("a key's refused mutations use up the key's budget, not its owner's", async () => {
    for (let i = 0; i < LIMIT; i++) {
      const refused = await viaKey();
      expect(refused.status).toBe(200);
      expect(outcomeOf(refused)).toBe('FORBIDDEN');
    }
    const throttled = await viaKey();
    expect429(throttled);
    expect(firstError(throttled).message).toMatch(/per API key/);
    // The owner's session still has its own two mutations.
    expect(outcomeOf(await viaSession())).toBe('OK');
    expect(outcomeOf(await viaSession())).toBe('OK');
  });

  it('once the session has used up its budget too, it can still revoke the key', async () => {
    expect429(await viaSession());
    const revoked = await t.client.request(DELETE_API_KEY, { id: key.id }, { token: root.token });
    expect(outcomeOf(revoked)).toBe('OK');
    expect((await t.client.request(`{ viewer { principal { id } } }`, {}, { token: key.secret })).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it("revoking mutations have a budget per credential too, which a key's revocations do not touch", async () => {
    const keys: CreatedKey[] = [];
    // The root's budget for ordinary mutations is spent: a second account makes the keys.
    const other = await modelStudioAccount(t.client);
    for (let i = 0; i < 2; i++) keys.push(await createKey(t.client, other.token, other.W));
    const [target, attacker] = keys as [CreatedKey, CreatedKey];
    // The attacker's key spends its revocation budget on refused deletions.
    for (let i = 0; i < LIMIT; i++) await t.client.request(DELETE_API_KEY, { id: target.id }, { token: attacker.secret });
    expect429(await t.client.request(DELETE_API_KEY, { id: target.id }, { token: attacker.secret }));
    expect(outcomeOf(await t.client.request(DELETE_API_KEY, { id: attacker.id }, { token: other.token }))).toBe('OK');
  });
});
