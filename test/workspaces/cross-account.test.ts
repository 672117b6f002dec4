import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import { defined } from '../helpers/assertions.js';
import type { GraphQLResponse } from '../helpers/graphql-client.js';
import {
  accountFingerprint,
  auditEvents,
  authorizeModel,
  createKey,
  createKnowledgeBase,
  listWorkspaces,
  missingId,
  modelStudioAccount,
  modelStudioUser,
  type AuditEventView,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

const CALLER_NAMES = ["B's root (session)", "B's AliyunBailianFullAccess user (session)", "B's root API key"] as const;
type CallerName = (typeof CALLER_NAMES)[number];
const sorted = (ids: string[]) => [...ids].sort((x, y) => x.localeCompare(y));

/**
 * docs/domain.md: "An ID from another account behaves exactly like an ID that does not exist."
 * Every ID-taking operation is sent by principals of account B twice: once with account A's
 * IDs, once with well-formed IDs that name nothing. The two answers must be identical
 * (code, message, path, data) and, for console sessions, NOT_FOUND; A must not change.
 */

interface Ids {
  workspace: string;
  principal: string;
  role: string;
  root: string;
  account: string;
  apiKey: string;
  knowledgeBase: string;
  auditEvent: string;
  fineTunedModel: string;
}
interface Own {
  workspace: string;
  principal: string;
}
/**
 * [name, request builder, the code a console session must get (default NOT_FOUND; null: only
 * "identical to a missing ID" is asserted, e.g. where a session may not call the operation at all)]
 */
type Operation = [
  name: string,
  build: (ids: Ids, own: Own) => { query: string; variables: Record<string, unknown> },
  sessionCode?: string | null,
];

const op = (query: string, variables: (ids: Ids, own: Own) => Record<string, unknown>) => (ids: Ids, own: Own) => ({
  query,
  variables: variables(ids, own),
});
const NODE = `query($id: ID!) { node(id: $id) { id } }`;
const EXPLAIN = `query($r: ID!, $p: ID) { explainAccess(action: read_workspace, resourceId: $r, principalId: $p) { allowed reasons } }`;

const OPERATIONS: Operation[] = [
  ['workspace(id)', op(`query($id: ID!) { workspace(id: $id) { id name } }`, (ids) => ({ id: ids.workspace }))],
  ['node(workspace id)', op(NODE, (ids) => ({ id: ids.workspace }))],
  ['node(API key id)', op(NODE, (ids) => ({ id: ids.apiKey }))],
  ['node(knowledge base id)', op(NODE, (ids) => ({ id: ids.knowledgeBase }))],
  ['node(RAM user id)', op(NODE, (ids) => ({ id: ids.principal }))],
  ['node(RAM role id)', op(NODE, (ids) => ({ id: ids.role }))],
  ['node(root id)', op(NODE, (ids) => ({ id: ids.root }))],
  ['node(account id)', op(NODE, (ids) => ({ id: ids.account }))],
  ['node(audit event id)', op(NODE, (ids) => ({ id: ids.auditEvent }))],
  [
    'renameWorkspace',
    op(`mutation($w: ID!) { renameWorkspace(input: { workspaceId: $w, name: "pwned" }) { id } }`, (ids) => ({ w: ids.workspace })),
  ],
  [
    'setMemberPermissions (their workspace, my principal)',
    op(
      `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [ADMINISTRATOR] }) { pages } }`,
      (ids, own) => ({ w: ids.workspace, p: own.principal }),
    ),
  ],
  [
    'setMemberPermissions (my workspace, their principal)',
    op(
      `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [ADMINISTRATOR] }) { pages } }`,
      (ids, own) => ({ w: own.workspace, p: ids.principal }),
    ),
  ],
  [
    'removeMember (their workspace, their member)',
    op(`mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`, (ids) => ({
      w: ids.workspace,
      p: ids.principal,
    })),
  ],
  [
    'removeMember (my workspace, their principal)',
    op(`mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`, (ids, own) => ({
      w: own.workspace,
      p: ids.principal,
    })),
  ],
  [
    'setModelAuthorization',
    op(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: true }) { inference } }`,
      (ids) => ({ w: ids.workspace }),
    ),
  ],
  [
    'setAllModelsAccess',
    op(`mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: OPEN }) { id } }`, (ids) => ({ w: ids.workspace })),
  ],
  [
    'setModelRateLimit',
    op(
      `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-max", requestLimit: 1, requestLimitPeriodSeconds: 60 }) { requestLimit } }`,
      (ids) => ({ w: ids.workspace }),
    ),
  ],
  [
    'deleteModelRateLimit',
    op(`mutation($w: ID!) { deleteModelRateLimit(input: { workspaceId: $w, model: "qwen-max" }) { id } }`, (ids) => ({ w: ids.workspace })),
  ],
  [
    'createFineTunedModel',
    op(`mutation($w: ID!) { createFineTunedModel(input: { workspaceId: $w, baseModel: "qwen-plus", suffix: "x" }) { id } }`, (ids) => ({
      w: ids.workspace,
    })),
  ],
  ['createApiKey', op(`mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret } }`, (ids) => ({ w: ids.workspace }))],
  ['deleteApiKey', op(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, (ids) => ({ id: ids.apiKey }))],
  [
    'createKnowledgeBase',
    op(`mutation($w: ID!) { createKnowledgeBase(input: { workspaceId: $w, name: "x" }) { id } }`, (ids) => ({ w: ids.workspace })),
  ],
  ['deleteKnowledgeBase', op(`mutation($id: ID!) { deleteKnowledgeBase(id: $id) { id } }`, (ids) => ({ id: ids.knowledgeBase }))],
  [
    'registerModelStudioUser',
    op(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, (ids) => ({ id: ids.principal })),
  ],
  ['disableRamUser', op(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, (ids) => ({ id: ids.principal }))],
  [
    'attachPolicy',
    op(`mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianFullAccess }) { id } }`, (ids) => ({
      id: ids.principal,
    })),
  ],
  ['assumeRole', op(`mutation($id: ID!) { assumeRole(roleId: $id) { token } }`, (ids) => ({ id: ids.role }))],
  [
    'createRamRole trusting their user',
    op(`mutation($u: ID!) { createRamRole(input: { name: "spy", trustedUserIds: [$u] }) { id } }`, (ids) => ({ u: ids.principal })),
    'BAD_USER_INPUT',
  ],
  [
    'createApiKey scoped to their fine-tuned model',
    op(`mutation($w: ID!, $m: String!) { createApiKey(input: { workspaceId: $w, modelScope: [$m] }) { secret } }`, (ids, own) => ({
      w: own.workspace,
      m: ids.fineTunedModel,
    })),
    'BAD_USER_INPUT',
  ],
  [
    'setModelAuthorization of their fine-tuned model',
    op(
      `mutation($w: ID!, $m: ID!) { setModelAuthorization(input: { workspaceId: $w, model: $m, inference: true }) { inference } }`,
      (ids, own) => ({ w: own.workspace, m: ids.fineTunedModel }),
    ),
  ],
  [
    'setModelRateLimit of their fine-tuned model',
    op(
      `mutation($w: ID!, $m: ID!) { setModelRateLimit(input: { workspaceId: $w, model: $m, requestLimit: 1, requestLimitPeriodSeconds: 1 }) { requestLimit } }`,
      (ids, own) => ({ w: own.workspace, m: ids.fineTunedModel }),
    ),
  ],
  [
    'createFineTunedModel from their fine-tuned model',
    op(
      `mutation($w: ID!, $m: ID!) { createFineTunedModel(input: { workspaceId: $w, baseModel: $m, suffix: "x" }) { id } }`,
      (ids, own) => ({ w: own.workspace, m: ids.fineTunedModel }),
    ),
  ],
  [
    'modelAccess(their fine-tuned model)',
    op(`query($m: ID!) { modelAccess(model: $m) { allowed reason } }`, (ids) => ({ m: ids.fineTunedModel })),
    null,
  ],
  ['explainAccess(resourceId: their workspace)', op(EXPLAIN, (ids) => ({ r: ids.workspace, p: null }))],
  ['explainAccess(resourceId: their API key)', op(EXPLAIN, (ids) => ({ r: ids.apiKey, p: null }))],
  ['explainAccess(resourceId: their knowledge base)', op(EXPLAIN, (ids) => ({ r: ids.knowledgeBase, p: null }))],
  ['explainAccess(resourceId: their account)', op(EXPLAIN, (ids) => ({ r: ids.account, p: null }))],
  ['explainAccess(principalId: their user)', op(EXPLAIN, (ids, own) => ({ r: own.workspace, p: ids.principal }))],
  ['explainAccess(principalId: their root)', op(EXPLAIN, (ids, own) => ({ r: own.workspace, p: ids.root }))],
];

describe('cross-account isolation', () => {
  let a: ModelStudioAccount;
  let b: ModelStudioAccount;
  let aUser: TestUser;
  let aKey: CreatedKey;
  let foreign: Ids;
  let missing: Ids;
  let own: Own;
  let callers: Record<CallerName, { token: string; session: boolean }>;
  let aBefore: Record<string, string>;

  beforeAll(async () => {
    a = await modelStudioAccount(t.client);
    b = await modelStudioAccount(t.client);
    aUser = await modelStudioUser(t.client, a, { workspaceId: a.W, pages: ['API_KEY'] });
    aKey = await createKey(t.client, a.token, a.W);
    const aKb = await createKnowledgeBase(t.client, a.token, a.W, 'secret-kb');
    await authorizeModel(t.client, a.token, a.W, 'qwen-plus', { finetune: true });
    const aModel = await t.client.ok<{ createFineTunedModel: { id: string } }>(
      `mutation($w: ID!) { createFineTunedModel(input: { workspaceId: $w, baseModel: "qwen-plus", suffix: "secret" }) { id } }`,
      { w: a.W },
      a.token,
    );
    const [aEvent] = await auditEvents(t.client, a.token, {}, 1);
    const role = await t.client.ok<{ createRamRole: { id: string } }>(
      `mutation($u: ID!) { createRamRole(input: { name: "ops", trustedUserIds: [$u] }) { id } }`,
      { u: aUser.id },
      a.token,
    );
    foreign = {
      workspace: a.W,
      principal: aUser.id,
      role: role.createRamRole.id,
      root: a.rootId,
      account: a.accountId,
      apiKey: aKey.id,
      knowledgeBase: aKb,
      auditEvent: defined(aEvent, 'an audit event of account A').id,
      fineTunedModel: aModel.createFineTunedModel.id,
    };
    missing = {
      workspace: missingId.workspace(),
      principal: missingId.ramUser(),
      role: missingId.ramRole(),
      root: missingId.root(),
      account: missingId.account(),
      apiKey: missingId.apiKey(),
      knowledgeBase: missingId.knowledgeBase(),
      auditEvent: 'aud_0123456789abcdef0123456789abcdef',
      fineTunedModel: 'ft-qwen-plus-secret-0a1b2c3d',
    };

    // A member of B's W too, so that data operations in B's W reach the check of A's IDs.
    const bFa = await modelStudioUser(t.client, b, {
      workspaceId: b.W,
      pages: ['ADMINISTRATOR'],
      policies: ['AliyunBailianFullAccess', 'AliyunRAMFullAccess'],
    });
    const bMember = await modelStudioUser(t.client, b, { workspaceId: b.W, pages: [] });
    own = { workspace: b.W, principal: bMember.id };
    const bKey = await createKey(t.client, b.token, b.W);
    callers = {
      "B's root (session)": { token: b.token, session: true },
      "B's AliyunBailianFullAccess user (session)": { token: bFa.token, session: true },
      "B's root API key": { token: bKey.secret, session: false },
    };
    aBefore = await accountFingerprint(t.database.db, a.accountId);
  });

  /** B's audit events written by `request`, as (action, outcome, reason): IDs left out. */
  async function withAuditDiff(request: () => Promise<GraphQLResponse>) {
    const before = new Set((await auditEvents(t.client, b.token, {}, 20)).map((e) => e.id));
    const response = await request();
    const written = (await auditEvents(t.client, b.token, {}, 20)).filter((e) => !before.has(e.id));
    return { response, written: written.map((e: AuditEventView) => ({ action: e.action, outcome: e.outcome, reason: e.reason })) };
  }

  /** The response with the IDs it was asked about blanked out (a message may echo the name it was given). */
  const shape = (r: GraphQLResponse, ids: Ids) => {
    let text = JSON.stringify({
      data: r.data,
      errors: r.errors?.map((e) => ({ message: e.message, path: e.path, extensions: e.extensions })),
    });
    for (const id of Object.values(ids)) text = text.split(id).join('<id>');
    return JSON.parse(text);
  };

  describe.each(CALLER_NAMES)('as %s', (callerName) => {
    it.each(OPERATIONS)("%s: A's IDs answer exactly like IDs that do not exist", async (_name, build, sessionCode = 'NOT_FOUND') => {
      const caller = callers[callerName];
      const withMissing = build(missing, own);
      const withForeign = build(foreign, own);
      const m = await t.client.request(withMissing.query, withMissing.variables, { token: caller.token });
      const f = await t.client.request<Record<string, unknown>>(withForeign.query, withForeign.variables, { token: caller.token });

      // A console session is told "not found"; an API key may be refused earlier, for being a key,
      // but then exactly as it is for a missing ID (compared below).
      if (caller.session && sessionCode) expect(f.errors?.[0]?.extensions?.code).toBe(sessionCode);
      if (f.errors?.length) {
        const rootField = Object.keys(f.data ?? {})[0];
        if (rootField) expect(f.data?.[rootField]).toBeNull();
      }
      expect(shape(f, foreign)).toEqual(shape(m, missing));
    });
  });

  it("not even B's own audit trail tells A's IDs from missing ones", async () => {
    const differences: Record<string, unknown> = {};
    for (const [callerName, caller] of Object.entries(callers)) {
      for (const [name, build] of OPERATIONS) {
        const withMissing = build(missing, own);
        const withForeign = build(foreign, own);
        const m = await withAuditDiff(() => t.client.request(withMissing.query, withMissing.variables, { token: caller.token }));
        const f = await withAuditDiff(() => t.client.request(withForeign.query, withForeign.variables, { token: caller.token }));
        if (JSON.stringify(f.written) !== JSON.stringify(m.written)) {
          differences[`${callerName} / ${name}`] = { withAccountAIds: f.written, withMissingIds: m.written };
        }
      }
    }
    expect(differences).toEqual({});
  });

  it('account A is unchanged by everything B tried', async () => {
    expect(await accountFingerprint(t.database.db, a.accountId)).toEqual(aBefore);
  });

  it("A's audit trail shows nothing of B", async () => {
    const bPrincipals = new Set([b.rootId]);
    const bUsers = await t.client.ok<{ account: { ramUsers: { edges: Array<{ node: { id: string } }> } } }>(
      `{ account
 { ramUsers(first: 100) { edges { node { id } } } } }`,
      {},
      b.token,
    );
    for (const edge of bUsers.account.ramUsers.edges) bPrincipals.add(edge.node.id);
    const events = await auditEvents(t.client, a.token);
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => bPrincipals.has(e.actorId ?? ''))).toEqual([]);
    expect(await auditEvents(t.client, a.token, { actorId: b.rootId })).toEqual([]);
  });

  it("`workspaces` never lists another account's workspaces", async () => {
    const aIds = (await listWorkspaces(t.client, a.token)).map((w) => w.id);
    const bIds = (await listWorkspaces(t.client, b.token)).map((w) => w.id);
    expect(sorted(aIds)).toEqual(sorted([a.D, a.W]));
    expect(sorted(bIds)).toEqual(sorted([b.D, b.W]));
    for (const caller of Object.values(callers)) {
      const seen = (await listWorkspaces(t.client, caller.token)).map((w) => w.id);
      expect(seen.filter((id) => aIds.includes(id))).toEqual([]);
    }
    const byRegion = await t.client.ok<{ workspaces: { edges: Array<{ node: { id: string } }> } }>(
      `{ workspaces(region: CN_BEIJING, first: 100) { edges { node { id } } } }`,
      {},
      b.token,
    );
    expect(sorted(byRegion.workspaces.edges.map((e) => e.node.id))).toEqual(sorted([b.D, b.W]));
  });

  it("`auditEvents` never lists another account's events, whatever the filter", async () => {
    const aPrincipals = [a.rootId, aUser.id, foreign.role];
    const events = await auditEvents(t.client, b.token);
    expect(events.filter((e) => aPrincipals.includes(e.actorId ?? '') || aPrincipals.includes(e.onBehalfOfId ?? ''))).toEqual([]);
    expect(events.filter((e) => e.outcome === 'SUCCESS' && Object.values(foreign).includes(e.resourceId ?? ''))).toEqual([]);
    for (const actorId of aPrincipals) expect(await auditEvents(t.client, b.token, { actorId })).toEqual([]);
    expect(await auditEvents(t.client, b.token, { resourceId: a.W, outcome: 'SUCCESS' })).toEqual([]);
    expect(await auditEvents(t.client, b.token, { action: 'createApiKey' })).not.toContainEqual(
      expect.objectContaining({ resourceId: aKey.id }),
    );
  });
});
