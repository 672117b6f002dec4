import { describe, expect, it } from 'vitest';
import { PASSWORD, createUser, login, signUp } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
/** The data of EVENTS. */
interface EventsData {
  auditEvents: { edges: Array<{ node: Record<string, unknown> }> };
}
const EVENTS = `query($filter: AuditEventFilter) {
  auditEvents(first: 10, filter: $filter) { edges { node { action actorId onBehalfOfId via resourceId outcome reason sourceIp } } }
}`;

/** A login event names who called (nobody, for a stranger), the principal tried, and from where. */
describe('login audit events record the caller, not the principal whose name was tried', () => {
  it("an anonymous failed login: actor null, via ANONYMOUS, the user as resource, the caller's address", async () => {
    const root = await signUp(t.client);
    const user = await createUser(t.client, root.token);
    expect(outcomeOf(await t.client.request(LOGIN, { i: { loginName: user.loginName, password: 'a wrong password' } }))).toBe(
      'UNAUTHENTICATED',
    );

    const data = await t.client.ok<EventsData>(EVENTS, { filter: { action: 'login', outcome: 'DENIED', resourceId: user.id } }, root.token);
    expect(data.auditEvents.edges.map((e) => e.node)).toEqual([
      {
        action: 'login',
        actorId: null,
        onBehalfOfId: null,
        via: 'ANONYMOUS',
        resourceId: user.id,
        outcome: 'DENIED',
        reason: 'wrong password',
        sourceIp: '127.0.0.1',
      },
    ]);
    // The request's ID too, as in its log line (the API shows it as `requestId`).
    const stored = await t.database.db
      .selectFrom('audit_event')
      .select('request_id')
      .where('resource_id', '=', user.id)
      .where('action', '=', 'login')
      .executeTakeFirstOrThrow();
    expect(stored.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('a successful login: the principal, through its session, with the address', async () => {
    const root = await signUp(t.client);
    const user = await createUser(t.client, root.token);
    await login(t.client, user.loginName, PASSWORD);
    const data = await t.client.ok<EventsData>(
      EVENTS,
      { filter: { action: 'login', outcome: 'SUCCESS', resourceId: user.id } },
      root.token,
    );
    expect(defined(data.auditEvents.edges[0], 'the newest event').node).toEqual({
      action: 'login',
      actorId: user.id,
      onBehalfOfId: null,
      via: 'SESSION',
      resourceId: user.id,
      outcome: 'SUCCESS',
      reason: null,
      sourceIp: '127.0.0.1',
    });
  });

  it('every other event records the address too', async () => {
    const root = await signUp(t.client);
    const user = await createUser(t.client, root.token);
    const data = await t.client.ok<EventsData>(EVENTS, { filter: { action: 'createRamUser', resourceId: user.id } }, root.token);
    expect(defined(data.auditEvents.edges[0], 'the newest event').node).toMatchObject({
      actorId: root.rootId,
      via: 'SESSION',
      sourceIp: '127.0.0.1',
    });
  });
});
