import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { attachPolicy, createUser, signUp, type TestAccount } from '../helpers/fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

/** A request's statement count and first error, as a client sees them. */
async function probe(t: TestGateway, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  const error = body.errors?.[0];
  return {
    statements: response.headers.get('x-sql-statements'),
    error: error && { message: error.message, code: error.extensions?.code },
    data: body.data,
  };
}

describe('the x-sql-statements header is off unless asked for', () => {
  let t: TestGateway;
  // The configuration `npm start` runs with: development, nothing set.
  beforeAll(async () => (t = await startTestGateway({ exposeStatementCount: loadConfig({}).exposeStatementCount })));
  afterAll(() => t?.close());

  it('is absent from answers in development', async () => {
    const root = await signUp(t.client);
    const { statements } = await probe(t, root.token, `{ viewer { principal { id } } }`, {});
    expect(statements).toBeNull();
  });
});

describe("with the header enabled, another account's IDs cost what made-up ones cost", () => {
  let t: TestGateway;
  let other: { workspaceId: string; apiKeyId: string };
  let callers: Array<{ name: string; token: string }>;
  beforeAll(async () => {
    t = await startTestGateway({ exposeStatementCount: true });
    const owner = await signUp(t.client);
    const workspaceId = (
      await t.client.ok<{ activateModelStudio: { id: string } }>(
        `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
        {},
        owner.token,
      )
    ).activateModelStudio.id;
    const apiKeyId = (
      await t.client.ok<{ createApiKey: { apiKey: { id: string } } }>(
        `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { apiKey { id } } }`,
        { w: workspaceId },
        owner.token,
      )
    ).createApiKey.apiKey.id;
    other = { workspaceId, apiKeyId };
    const prober: TestAccount = await signUp(t.client);
    const admin = await createUser(t.client, prober.token);
    await attachPolicy(t.client, prober.token, admin.id, 'AliyunBailianFullAccess');
    const plain = await createUser(t.client, prober.token);
    callers = [
      { name: 'root', token: prober.token },
      { name: 'full-access RAM user', token: admin.token },
      { name: 'RAM user without policies', token: plain.token },
    ];
  });
  afterAll(() => t?.close());

  const madeUp = { workspaceId: 'llm-0000000000000000', apiKeyId: 'key_00000000000000000000' };
  const probes = [
    { name: 'workspace(id:)', query: `query($id: ID!) { workspace(id: $id) { id name } }`, id: (ids: typeof madeUp) => ids.workspaceId },
    { name: 'node(id:) of a workspace', query: `query($id: ID!) { node(id: $id) { id } }`, id: (ids: typeof madeUp) => ids.workspaceId },
    { name: 'node(id:) of an API key', query: `query($id: ID!) { node(id: $id) { id } }`, id: (ids: typeof madeUp) => ids.apiKeyId },
    { name: 'deleteApiKey', query: `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, id: (ids: typeof madeUp) => ids.apiKeyId },
  ];

  it.each(probes)('$name', async ({ query, id }) => {
    for (const caller of callers) {
      const foreign = await probe(t, caller.token, query, { id: id(other) });
      const missing = await probe(t, caller.token, query, { id: id(madeUp) });
      expect(foreign.statements, caller.name).not.toBeNull();
      expect({ caller: caller.name, ...foreign }).toEqual({ caller: caller.name, ...missing });
      expect(foreign.error?.code, caller.name).toBe('NOT_FOUND');
    }
  });
});
