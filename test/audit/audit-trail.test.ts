import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachPolicy, createUser, type TestUser } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import {
  AUDIT_EVENTS,
  CREATE_API_KEY,
  CREATE_KNOWLEDGE_BASE,
  CREATE_WORKSPACE,
  SET_MEMBER_PERMISSIONS,
  SET_MODEL_AUTHORIZATION,
  auditEvents,
  authorizeModel,
  createKey,
  createKnowledgeBase,
  createWorkspace,
  modelStudioAccount,
  modelStudioUser,
  uniqueName,
  type AuditEventView,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

interface AuditConnection {
  edges: Array<{ cursor: string; node: AuditEventView }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** docs/domain.md "Audit": every successful change and every denied attempt is recorded; nobody edits the trail. */
describe('audit trail', () => {
  let account: ModelStudioAccount;
  let fa: TestUser;
  let admin: TestUser;
  let keyMember: TestUser;
  let plain: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    fa = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
    admin = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['ADMINISTRATOR'] });
    keyMember = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    plain = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['MODEL_EXPERIENCE'] });
  });

  const newest = async (action: string) => (await auditEvents(t.client, account.token, { action }, 1))[0];

  describe('successful mutations', () => {
    type Actor = 'root' | 'fa' | 'admin' | 'keyMember';
    const tokenOf = (actor: Actor) => ({ root: account.token, fa: fa.token, admin: admin.token, keyMember: keyMember.token })[actor];
    const idOf = (actor: Actor) => ({ root: account.rootId, fa: fa.id, admin: admin.id, keyMember: keyMember.id })[actor];
    const ok = <T = unknown>(actor: Actor, query: string, variables: Record<string, unknown>) =>
      t.client.ok<T>(query, variables, tokenOf(actor));
    /** The data of a mutation that answers `{ id }` under its own name. */
    type Created<Field extends string> = Record<Field, { id: string }>;

    // [action, actor, perform → the resource the event must name]
    const cases: Array<[string, Actor, () => Promise<string>]> = [
      [
        'activateModelStudio',
        'root',
        async () =>
          (
            await ok<Created<'activateModelStudio'>>(
              'root',
              `mutation { activateModelStudio(input: { region: EU_CENTRAL_1, acceptServiceAgreement: true }) { id } }`,
              {},
            )
          ).activateModelStudio.id,
      ],
      [
        'createWorkspace',
        'fa',
        async () =>
          (await ok<Created<'createWorkspace'>>('fa', CREATE_WORKSPACE, { n: uniqueName('audited'), r: 'CN_BEIJING' })).createWorkspace.id,
      ],
      [
        'renameWorkspace',
        'root',
        async () =>
          (
            await ok<Created<'renameWorkspace'>>(
              'root',
              `mutation($w: ID!) { renameWorkspace(input: { workspaceId: $w, name: "W-renamed" }) { id } }`,
              { w: account.W },
            )
          ).renameWorkspace.id,
      ],
      [
        'createRamUser',
        'root',
        async () =>
          (
            await ok<Created<'createRamUser'>>(
              'root',
              `mutation($n: String!) { createRamUser(input: { name: $n, displayName: "x", password: "correct horse battery staple" }) { id } }`,
              { n: uniqueName('u') },
            )
          ).createRamUser.id,
      ],
      [
        'registerModelStudioUser',
        'fa',
        async () => {
          const user = await createUser(t.client, account.token);
          return (
            await ok<Created<'registerModelStudioUser'>>('fa', `mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, {
              id: user.id,
            })
          ).registerModelStudioUser.id;
        },
      ],
      [
        'setMemberPermissions',
        'admin',
        async () => {
          await ok('admin', SET_MEMBER_PERMISSIONS, { w: account.W, p: plain.id, pages: ['MODEL_EXPERIENCE', 'BATCH_INFERENCE'] });
          return account.W;
        },
      ],
      [
        'removeMember',
        'admin',
        async () => {
          const member = await modelStudioUser(t.client, account, { workspaceId: account.W });
          await ok('admin', `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`, {
            w: account.W,
            p: member.id,
          });
          return account.W;
        },
      ],
      [
        'setModelAuthorization',
        'fa',
        async () => {
          await ok('fa', SET_MODEL_AUTHORIZATION, { w: account.W, m: 'qwen-plus', i: true, f: true, d: null });
          return account.W;
        },
      ],
      [
        'setAllModelsAccess',
        'root',
        async () =>
          (
            await ok<Created<'setAllModelsAccess'>>(
              'root',
              `mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: CLOSE }) { id } }`,
              { w: account.W },
            )
          ).setAllModelsAccess.id,
      ],
      [
        'setModelRateLimit',
        'root',
        async () => {
          await ok(
            'root',
            `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-plus", usageLimit: 1000, usageLimitPeriodSeconds: 60 }) { usageLimit } }`,
            { w: account.W },
          );
          return account.W;
        },
      ],
      [
        'deleteModelRateLimit',
        'root',
        async () =>
          (
            await ok<Created<'deleteModelRateLimit'>>(
              'root',
              `mutation($w: ID!) { deleteModelRateLimit(input: { workspaceId: $w, model: "qwen-plus" }) { id } }`,
              { w: account.W },
            )
          ).deleteModelRateLimit.id,
      ],
      [
        'createFineTunedModel',
        'root',
        async () =>
          (
            await ok<Created<'createFineTunedModel'>>(
              'root',
              `mutation($w: ID!) { createFineTunedModel(input: { workspaceId: $w, baseModel: "qwen-plus", suffix: "audit" }) { id } }`,
              { w: account.W },
            )
          ).createFineTunedModel.id,
      ],
      ['createApiKey', 'keyMember', async () => (await createKey(t.client, keyMember.token, account.W)).id],
      [
        'deleteApiKey',
        'keyMember',
        async () => {
          const key = await createKey(t.client, account.token, account.W);
          return (await ok<Created<'deleteApiKey'>>('keyMember', `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: key.id }))
            .deleteApiKey.id;
        },
      ],
      ['createKnowledgeBase', 'admin', async () => createKnowledgeBase(t.client, admin.token, account.W)],
      [
        'deleteKnowledgeBase',
        'admin',
        async () => {
          const kb = await createKnowledgeBase(t.client, account.token, account.W);
          return (
            await ok<Created<'deleteKnowledgeBase'>>('admin', `mutation($id: ID!) { deleteKnowledgeBase(id: $id) { id } }`, { id: kb })
          ).deleteKnowledgeBase.id;
        },
      ],
    ];

    it.each(cases)('%s by %s is recorded with its actor, resource and outcome SUCCESS', async (action, actor, perform) => {
      const resourceId = await perform();
      expect(await newest(action)).toMatchObject({
        action,
        actorId: idOf(actor),
        onBehalfOfId: null,
        via: 'SESSION',
        resourceId,
        outcome: 'SUCCESS',
        reason: null,
      });
    });
  });

  describe('denied attempts', () => {
    const cases: Array<[string, string, () => TestUser, string, Record<string, unknown> | (() => Record<string, unknown>)]> = [
      ['createWorkspace', 'a plain member', () => plain, CREATE_WORKSPACE, { n: 'nope', r: 'CN_BEIJING' }],
      ['createApiKey', 'a plain member', () => plain, CREATE_API_KEY, () => ({ w: account.W, scope: [], ips: [], d: '' })],
      [
        'setModelAuthorization',
        'a workspace administrator',
        () => admin,
        SET_MODEL_AUTHORIZATION,
        () => ({ w: account.W, m: 'qwen-max', i: true, f: null, d: null }),
      ],
      [
        'createKnowledgeBase',
        'an AliyunBailianFullAccess non-member',
        () => fa,
        CREATE_KNOWLEDGE_BASE,
        () => ({ w: account.W, n: 'nope' }),
      ],
    ];

    it.each(cases)('%s by %s: FORBIDDEN, recorded as DENIED with a reason, and no SUCCESS', async (action, _who, who, query, variables) => {
      const actor = who();
      const successesBefore = await auditEvents(t.client, account.token, { action, outcome: 'SUCCESS' });
      const result = await t.client.request(query, typeof variables === 'function' ? variables() : variables, { token: actor.token });
      expect(outcomeOf(result)).toBe('FORBIDDEN');
      const event = await newest(action);
      expect(event).toMatchObject({ action, actorId: actor.id, outcome: 'DENIED', via: 'SESSION' });
      expect(defined(event, `the newest ${action} event`).reason).toEqual(expect.stringMatching(/\S/));
      expect(await auditEvents(t.client, account.token, { action, outcome: 'SUCCESS' })).toEqual(successesBefore);
    });

    it('a denied attempt through an API key is recorded with via API_KEY', async () => {
      const key = await createKey(t.client, keyMember.token, account.W);
      const result = await t.client.request(CREATE_WORKSPACE, { n: 'by-key', r: 'CN_BEIJING' }, { token: key.secret });
      expect(outcomeOf(result)).toBe('FORBIDDEN');
      expect(await newest('createWorkspace')).toMatchObject({ actorId: keyMember.id, via: 'API_KEY', outcome: 'DENIED' });
    });
  });

  it('a change made through an API key is recorded with via API_KEY and the key owner as actor', async () => {
    const key = await createKey(t.client, account.token, account.W);
    const kb = await createKnowledgeBase(t.client, key.secret, account.W, uniqueName('by-key'));
    expect(await newest('createKnowledgeBase')).toMatchObject({
      actorId: account.rootId,
      via: 'API_KEY',
      resourceId: kb,
      outcome: 'SUCCESS',
    });
  });

  describe('role sessions', () => {
    let assumer: TestUser;
    let roleId: string;
    let roleToken: string;

    beforeAll(async () => {
      assumer = await createUser(t.client, account.token, uniqueName('assumer'));
      const role = await t.client.ok<{ createRamRole: { id: string } }>(
        `mutation($u: ID!, $n: String!) { createRamRole(input: { name: $n, trustedUserIds: [$u] }) { id } }`,
        { u: assumer.id, n: uniqueName('ops') },
        account.token,
      );
      roleId = role.createRamRole.id;
      await attachPolicy(t.client, account.token, roleId, 'AliyunBailianFullAccess');
      roleToken = (
        await t.client.ok<{ assumeRole: { token: string } }>(
          `mutation($id: ID!) { assumeRole(roleId: $id) { token } }`,
          { id: roleId },
          assumer.token,
        )
      ).assumeRole.token;
    });

    it("a role session's successful change names the role as actor and the assuming user as onBehalfOf", async () => {
      const w = await createWorkspace(t.client, roleToken, uniqueName('by-role'));
      expect(await newest('createWorkspace')).toMatchObject({
        actorId: roleId,
        onBehalfOfId: assumer.id,
        // The spec's credential kinds tell a role session from the user's own session.
        via: 'ROLE_SESSION',
        resourceId: w,
        outcome: 'SUCCESS',
      });
    });

    it("a role session's denied attempt carries onBehalfOf too", async () => {
      const result = await t.client.request(
        `mutation { createRamUser(input: { name: "by-role", displayName: "x", password: "correct horse battery staple" }) { id } }`,
        {},
        { token: roleToken },
      );
      expect(outcomeOf(result)).toBe('FORBIDDEN');
      expect(await newest('createRamUser')).toMatchObject({ actorId: roleId, onBehalfOfId: assumer.id, outcome: 'DENIED' });
    });

    it("filters by actor find the role session's events", async () => {
      const events = await auditEvents(t.client, account.token, { actorId: roleId });
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events.every((e) => e.actorId === roleId && e.onBehalfOfId === assumer.id)).toBe(true);
    });
  });

  describe('failed mutations write no SUCCESS event', () => {
    const cases: Array<[string, string, string, () => Record<string, unknown>]> = [
      ['createWorkspace', 'a 65-character name', CREATE_WORKSPACE, () => ({ n: 'w'.repeat(65), r: 'CN_BEIJING' })],
      ['createWorkspace', 'a region not activated', CREATE_WORKSPACE, () => ({ n: 'virginia', r: 'US_EAST_1' })],
      ['createWorkspace', 'a duplicate name (CONFLICT)', CREATE_WORKSPACE, () => ({ n: 'W-renamed', r: 'CN_BEIJING' })],
      ['createApiKey', 'a bad CIDR', CREATE_API_KEY, () => ({ w: account.W, scope: [], ips: ['10.0.0.0/40'], d: '' })],
      ['createApiKey', 'a model scope not callable', CREATE_API_KEY, () => ({ w: account.W, scope: ['qwen-turbo'], ips: [], d: '' })],
      [
        'setModelAuthorization',
        'the default workspace',
        SET_MODEL_AUTHORIZATION,
        () => ({ w: account.D, m: 'qwen-max', i: false, f: null, d: null }),
      ],
      [
        'setModelAuthorization',
        'a capability the model lacks',
        SET_MODEL_AUTHORIZATION,
        () => ({ w: account.W, m: 'qwen-max', i: null, f: true, d: null }),
      ],
      ['createKnowledgeBase', 'an empty name', CREATE_KNOWLEDGE_BASE, () => ({ w: account.W, n: '' })],
      [
        'setMemberPermissions',
        'a principal not registered in Model Studio',
        SET_MEMBER_PERMISSIONS,
        () => ({ w: account.W, p: unregistered.id, pages: [] }),
      ],
    ];
    let unregistered: TestUser;
    beforeAll(async () => {
      unregistered = await createUser(t.client, account.token, uniqueName('unregistered'));
    });

    it.each(cases)('%s with %s', async (action, _case, query, variables) => {
      const before = await auditEvents(t.client, account.token, { action, outcome: 'SUCCESS' });
      const result = await t.client.request(query, variables(), { token: account.token });
      expect(['BAD_USER_INPUT', 'CONFLICT']).toContain(outcomeOf(result));
      expect(await auditEvents(t.client, account.token, { action, outcome: 'SUCCESS' })).toEqual(before);
    });
  });

  describe('the audit_event table is append-only at the database level', () => {
    const snapshot = () =>
      sql<{
        rows: string;
      }>`select count(*)::text || ':' || coalesce(md5(string_agg(a::text, '|' order by id)), '') as rows from audit_event a`
        .execute(t.database.db)
        .then((r) => defined(r.rows[0], 'the snapshot row').rows);

    it.each([
      [
        'UPDATE of one row',
        () => t.database.db.updateTable('audit_event').set({ outcome: 'SUCCESS', reason: null }).where('outcome', '=', 'DENIED').execute(),
      ],
      ['UPDATE of every row', () => t.database.db.updateTable('audit_event').set({ action: 'tampered' }).execute()],
      ['DELETE of one account', () => t.database.db.deleteFrom('audit_event').where('account_id', '=', account.accountId).execute()],
      ['DELETE of everything', () => t.database.db.deleteFrom('audit_event').execute()],
      [
        'UPDATE inside a transaction',
        () => t.database.db.transaction().execute((trx) => trx.updateTable('audit_event').set({ actor_id: null }).execute()),
      ],
      ['TRUNCATE', () => sql`truncate audit_event`.execute(t.database.db)],
    ])('%s is rejected and changes nothing', async (_case, attempt) => {
      const before = await snapshot();
      expect(before.startsWith('0:')).toBe(false);
      await expect(attempt()).rejects.toThrow(/append-only/);
      expect(await snapshot()).toBe(before);
    });

    it('the API offers no way to edit an event either', async () => {
      const schema = await t.client.ok<{ __schema: { mutationType: { fields: Array<{ name: string }> } } }>(
        `{ __schema { mutationType { fields { name } } } }`,
        {},
        account.token,
      );
      const mutations: string[] = schema.__schema.mutationType.fields.map((f) => f.name);
      expect(mutations.filter((name) => /audit/i.test(name))).toEqual([]);
    });
  });

  describe('pagination', () => {
    const page = async (first: number, after: string | null, filter: Record<string, unknown> = {}) =>
      (await t.client.ok<{ auditEvents: AuditConnection }>(AUDIT_EVENTS, { first, after, filter }, account.token)).auditEvents;
    /** The trail's order, read from the database: the public IDs tell none. */
    let order = new Map<string, bigint>();
    async function readOrder() {
      const rows = await t.database.db
        .selectFrom('audit_event')
        .select(['public_id', sql<string>`cast(id as text)`.as('id')])
        .execute();
      order = new Map(rows.map((row) => [`aud_${row.public_id}`, BigInt(row.id)]));
    }
    const seq = (e: AuditEventView) => defined(order.get(e.id), `the order of ${e.id}`);

    async function walk(pageSize: number, filter: Record<string, unknown> = {}, between?: () => Promise<void>) {
      const seen: AuditEventView[] = [];
      let after: string | null = null;
      for (let i = 0; i < 100; i++) {
        const connection: AuditConnection = await page(pageSize, after, filter);
        expect(connection.edges.length).toBeLessThanOrEqual(pageSize);
        seen.push(...connection.edges.map((e) => e.node));
        if (!connection.pageInfo.hasNextPage) {
          expect(await page(pageSize, connection.pageInfo.endCursor ?? after, filter)).toMatchObject({
            edges: [],
            pageInfo: { hasNextPage: false },
          });
          return seen;
        }
        after = connection.pageInfo.endCursor;
        if (i === 0 && between) await between();
      }
      throw new Error('pagination did not end');
    }

    beforeAll(async () => {
      await authorizeModel(t.client, account.token, account.W, 'qwen-max');
      for (let i = 0; i < 25; i++) await createKnowledgeBase(t.client, account.token, account.W, `paged-${i}`);
    });

    it('first/after walks the whole trail newest first, without duplicates or gaps', async () => {
      const all = await auditEvents(t.client, account.token, {}, 100);
      expect(all.length).toBeGreaterThan(40);
      const walked = await walk(7);
      await readOrder();
      expect(walked.map((e) => e.id)).toEqual(all.map((e) => e.id).slice(0, walked.length));
      expect(new Set(walked.map((e) => e.id)).size).toBe(walked.length);
      for (let i = 1; i < walked.length; i++) {
        const previous = defined(walked[i - 1], `walked event ${i - 1}`);
        const current = defined(walked[i], `walked event ${i}`);
        expect(seq(previous)).toBeGreaterThan(seq(current));
        expect(Date.parse(previous.createdAt)).toBeGreaterThanOrEqual(Date.parse(current.createdAt));
      }
    });

    it('with a filter, pages hold only matching events, newest first', async () => {
      const walked = await walk(4, { action: 'createKnowledgeBase', outcome: 'SUCCESS' });
      await readOrder();
      expect(walked.length).toBeGreaterThanOrEqual(25);
      expect(walked.every((e) => e.action === 'createKnowledgeBase' && e.outcome === 'SUCCESS')).toBe(true);
      expect(new Set(walked.map((e) => e.id)).size).toBe(walked.length);
      // The knowledge bases were created paged-0 … paged-24: newest first, their events come in reverse.
      const sorted = [...walked].sort((a, b) => (seq(b) > seq(a) ? 1 : -1));
      expect(walked).toEqual(sorted);
    });

    it('events written while paging appear neither twice nor inside later pages', async () => {
      const firstPage = await page(5, null);
      const firstNode = defined(firstPage.edges[0], 'the first edge of the first page').node;
      const newestBefore = firstNode.id;
      const walked = await walk(5, {}, async () => {
        for (let i = 0; i < 6; i++) await createKnowledgeBase(t.client, account.token, account.W, uniqueName('during'));
      });
      await readOrder();
      expect(new Set(walked.map((e) => e.id)).size).toBe(walked.length);
      expect(defined(walked[0], 'the first walked event').id).toBe(newestBefore);
      expect(walked.filter((e) => seq(e) > seq(firstNode))).toEqual([]);
    });

    it('node(id) of an event answers the same event', async () => {
      const event = defined((await auditEvents(t.client, account.token, {}, 1))[0], 'the newest event');
      const data = await t.client.ok<{ node: unknown }>(
        `query($id: ID!) { node(id: $id) { id ... on AuditEvent { action actorId resourceId outcome } } }`,
        { id: event.id },
        account.token,
      );
      expect(data.node).toEqual({
        id: event.id,
        action: event.action,
        actorId: event.actorId,
        resourceId: event.resourceId,
        outcome: event.outcome,
      });
    });

    it.each([
      ['first over 100', { first: 101 }],
      ['a negative first', { first: -1 }],
      ['a forged cursor', { first: 5, after: 'not-a-cursor' }],
    ])('%s is BAD_USER_INPUT', async (_case, variables) => {
      const result = await t.client.request(AUDIT_EVENTS, { filter: {}, ...variables }, { token: account.token });
      expect(outcomeOf(result)).toBe('BAD_USER_INPUT');
    });
  });
});
