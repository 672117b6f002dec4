import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { signUp } from '../helpers/fixtures.js';
import { firstError } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

describe('unexpected errors leak nothing', () => {
  it('a database failure answers INTERNAL_SERVER_ERROR with a request id, and the rest of the response is served', async () => {
    const root = await signUp(t.client);
    const w = await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );
    // Break one table under the running server: its field fails, its siblings do not.
    await sql`alter table knowledge_base rename to knowledge_base_gone`.execute(t.database.db);
    try {
      const result = await t.client.request(
        `query($w: ID!) { served: workspace(id: $w) { name } failed: workspace(id: $w) { knowledgeBases { edges { node { id } } } } }`,
        { w: w.activateModelStudio.id },
        { token: root.token },
      );
      expect(result.data).toEqual({ served: { name: 'Default Workspace' }, failed: { knowledgeBases: null } });
      expect(result.errors).toHaveLength(1);
      const error = firstError(result);
      expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(error.message).toBe('Internal server error');
      const text = JSON.stringify(result);
      for (const leak of ['knowledge_base', 'relation', 'select', 'stack', '/work/', 'node_modules', 'at '])
        expect(text).not.toContain(leak);
    } finally {
      await sql`alter table knowledge_base_gone rename to knowledge_base`.execute(t.database.db);
    }
  });

  it('resolver error codes survive graphql-shield', async () => {
    const root = await signUp(t.client);
    const result = await t.client.request(
      `mutation { createWorkspace(input: { name: "x", region: US_EAST_1 }) { id } }`,
      {},
      { token: root.token },
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.region' });
  });
});
