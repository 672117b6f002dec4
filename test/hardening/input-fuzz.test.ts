import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBareSchema } from '../../src/schema.js';
import { createUser, signUp, type TestAccount } from '../helpers/fixtures.js';
import { useTestGateway } from '../helpers/test-gateway.js';
import { fingerprint } from '../matrix/world.js';
import { argumentsFor, operationFor } from './schema-inputs.js';

/**
 * Random, hostile input for every mutation, sent by the root (who gets past authorization to
 * the validation): never a crash or an internal error, only client-error codes; and a refused
 * mutation changes nothing.
 */
const t = useTestGateway();
const schema = buildBareSchema();
const CLIENT_ERRORS = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'FORBIDDEN', 'UNAUTHENTICATED', 'RATE_LIMITED', 'GRAPHQL_VALIDATION_FAILED']);
const mutations = Object.keys(schema.getMutationType()!.getFields());

let root: TestAccount;
let known: string[] = [];

beforeAll(async () => {
  root = await signUp(t.client);
  const d = await t.client.ok(`mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`, {}, root.token);
  const w = (await t.client.ok(`mutation { createWorkspace(input: { name: "fuzz", region: CN_BEIJING }) { id } }`, {}, root.token)).createWorkspace.id;
  const user = await createUser(t.client, root.token);
  const key = await t.client.ok(`mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { apiKey { id } } }`, { w }, root.token);
  known = [d.activateModelStudio.id, w, user.id, key.createApiKey.apiKey.id, root.rootId, root.accountId, 'qwen-max', 'qwen-plus'];
});

describe('hostile input to every mutation', () => {
  it.each(mutations)('%s', async (mutation) => {
    const query = operationFor(schema, 'Mutation', mutation);
    await fc.assert(
      fc.asyncProperty(argumentsFor(schema, 'Mutation', mutation, known), async (variables) => {
        const before = await fingerprint(t.database.db, root.accountId);
        const response = await fetch(t.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${root.token}` },
          body: JSON.stringify({ query, variables }),
        });
        expect(response.status).toBeLessThan(500);
        const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
        for (const error of body.errors ?? []) expect(CLIENT_ERRORS).toContain(error.extensions?.code);
        if (body.errors?.length) expect(await fingerprint(t.database.db, root.accountId)).toBe(before);
      }),
      { numRuns: 12, seed: 20261128 },
    );
  }, 120_000);
});
