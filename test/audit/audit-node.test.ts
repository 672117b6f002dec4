import { describe, expect, it } from 'vitest';
import { createUser, signUp } from '../helpers/fixtures.js';
import { firstError, outcomeOf } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

describe('audit events by node(id)', () => {
  it('the management layer reads its own events; others are refused; another account reads as missing', async () => {
    const root = await signUp(t.client);
    const user = await createUser(t.client, root.token);
    const events = await t.client.ok<{ auditEvents: { edges: Array<{ node: { id: string; action: string } }> } }>(
      `{ auditEvents(first: 1, filter: { action: "createRamUser" }) { edges { node { id action } } } }`,
      {},
      root.token,
    );
    const id = defined(events.auditEvents.edges[0], 'the newest createRamUser event').node.id;
    expect(id).toMatch(/^aud_[0-9a-f]{32}$/);
    const query = `query($id: ID!) { node(id: $id) { id ... on AuditEvent { action outcome } } }`;
    expect((await t.client.ok<{ node: unknown }>(query, { id }, root.token)).node).toEqual({
      id,
      action: 'createRamUser',
      outcome: 'SUCCESS',
    });
    expect(outcomeOf(await t.client.request(query, { id }, { token: user.token }))).toBe('FORBIDDEN');
    const other = await signUp(t.client);
    const foreign = await t.client.request<{ node: unknown }>(query, { id }, { token: other.token });
    const missing = await t.client.request(query, { id: 'aud_0123456789abcdef0123456789abcdef' }, { token: other.token });
    expect(outcomeOf(foreign)).toBe('NOT_FOUND');
    expect(firstError(foreign).message).toBe(firstError(missing).message);
    expect(defined(foreign.data, 'the data of the foreign read').node).toBeNull();
  });
});
