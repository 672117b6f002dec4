import { describe, expect, it } from 'vitest';
import { signUp } from '../helpers/fixtures.js';
import { firstError, outcomeOf } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

const CREATE_USER = `mutation($n: String!) { createRamUser(input: { name: $n, displayName: "x", password: "a long enough password" }) { id } }`;
const EVENTS = `query($first: Int, $after: String) {
  auditEvents(first: $first, after: $after) { edges { cursor node { id action } } pageInfo { endCursor hasNextPage } }
}`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on AuditEvent { action } } }`;
const EVENT_COUNT = 12;
interface EventsPage {
  auditEvents: {
    edges: Array<{ cursor: string; node: { id: string; action: string } }>;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  };
}

/**
 * Audit event IDs (and cursors) are random: one account's IDs must not tell how many events
 * every other account wrote in between, as a global sequence number would.
 */
describe('audit event IDs are opaque', () => {
  it("consecutive events' IDs and cursors carry no order or count; node(id) and paging still work", async () => {
    const a = await signUp(t.client);
    const b = await signUp(t.client);
    for (let i = 0; i < EVENT_COUNT; i++) {
      await t.client.ok(CREATE_USER, { n: `a-${i}` }, a.token);
      await t.client.ok(CREATE_USER, { n: `b-${i}` }, b.token); // another tenant's activity in between
    }
    const page = (await t.client.ok<EventsPage>(EVENTS, { first: EVENT_COUNT }, a.token)).auditEvents;
    const ids: string[] = page.edges.map((e) => e.node.id);
    expect(ids.length).toBe(EVENT_COUNT);

    for (const id of ids) expect(id).toMatch(/^aud_[0-9a-f]{32}$/);
    expect(ids.some((id) => /^aud_\d+$/.test(id))).toBe(false);
    // Random IDs of events newest first: sorted neither way (by chance: 2 in 12!).
    const sorted = [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    expect(ids).not.toEqual(sorted);
    expect(ids).not.toEqual([...sorted].reverse());
    // The cursor holds the same opaque ID, nothing more telling.
    for (const { cursor, node } of page.edges) {
      expect(JSON.parse(Buffer.from(cursor, 'base64url').toString())).toEqual(['', node.id.slice('aud_'.length)]);
    }

    expect((await t.client.ok<{ node: unknown }>(NODE, { id: ids[3] }, a.token)).node).toEqual({ id: ids[3], action: 'createRamUser' });
    const next = (await t.client.ok<EventsPage>(EVENTS, { first: 2, after: defined(page.edges[3], 'the fourth edge').cursor }, a.token))
      .auditEvents;
    expect(next.edges.map((e) => e.node.id)).toEqual(ids.slice(4, 6));
  });

  it('a foreign ID reads as missing, a malformed one (the old numeric kind too) as BAD_USER_INPUT; so do forged cursors', async () => {
    const a = await signUp(t.client);
    const b = await signUp(t.client);
    await t.client.ok(CREATE_USER, { n: 'someone' }, a.token);
    const aPage = (await t.client.ok<EventsPage>(EVENTS, { first: 1 }, a.token)).auditEvents;
    const aEdge = defined(aPage.edges[0], 'the newest edge of a');
    const foreignNode = await t.client.request(NODE, { id: aEdge.node.id }, { token: b.token });
    const missingNode = await t.client.request(NODE, { id: 'aud_0123456789abcdef0123456789abcdef' }, { token: b.token });
    expect(outcomeOf(foreignNode)).toBe('NOT_FOUND');
    expect(firstError(foreignNode).message).toBe(firstError(missingNode).message);
    for (const id of ['aud_1', 'aud_x']) expect(outcomeOf(await t.client.request(NODE, { id }, { token: b.token }))).toBe('BAD_USER_INPUT');
    const forged = Buffer.from(JSON.stringify(['', '12345'])).toString('base64url');
    expect(outcomeOf(await t.client.request(EVENTS, { first: 5, after: forged }, { token: b.token }))).toBe('BAD_USER_INPUT');
    const foreign = await t.client.ok<EventsPage>(EVENTS, { first: 5, after: aEdge.cursor }, b.token);
    expect(foreign.auditEvents.edges).toEqual([]);
  });
});
