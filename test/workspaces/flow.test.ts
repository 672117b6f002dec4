import { describe, expect, it } from 'vitest';
import { createUser, signUp } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

describe('workspace flow', () => {
  it('activates, creates a workspace, adds a member, creates a key and checks model access', async () => {
    const root = await signUp(t.client);
    const c = t.client;
    const d = await c.ok<{ activateModelStudio: { id: string; kind: string; region: string; name: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id kind region name } }`,
      {},
      root.token,
    );
    expect(d.activateModelStudio.kind).toBe('DEFAULT');
    expect(d.activateModelStudio.id).toMatch(/^llm-[a-z0-9]{16}$/);
    const w = await c.ok<{ createWorkspace: { id: string; kind: string } }>(
      `mutation { createWorkspace(input: { name: "team", region: CN_BEIJING }) { id kind } }`,
      {},
      root.token,
    );
    const wid = w.createWorkspace.id;
    const user = await createUser(c, root.token);
    await c.ok(
      `mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id registeredInModelStudio } }`,
      { id: user.id },
      root.token,
    );
    const m = await c.ok<{ setMemberPermissions: { pages: string[]; role: string; principal: { id: string } } }>(
      `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [API_KEY] }) { pages role principal { id } } }`,
      { w: wid, p: user.id },
      root.token,
    );
    expect(m.setMemberPermissions.role).toBe('MEMBER');
    const k = await c.ok<{ createApiKey: { secret: string; apiKey: { id: string; prefix: string; owner: { id: string } } } }>(
      `mutation($w: ID!) { createApiKey(input: { workspaceId: $w, description: "proxy" }) { secret apiKey { id prefix owner { id } } } }`,
      { w: wid },
      user.token,
    );
    const secret = k.createApiKey.secret;
    expect(secret).toMatch(/^sk-/);
    const q = `query($m: ID!) { modelAccess(model: $m) { allowed reason rateLimit { requestLimit } workspace { id } } }`;
    type Access = {
      modelAccess: {
        allowed: boolean;
        reason: string;
        rateLimit: { requestLimit: number | null } | null;
        workspace: { id: string } | null;
      };
    };
    let a = await c.ok<Access>(q, { m: 'qwen-max' }, secret);
    expect(a.modelAccess).toMatchObject({ allowed: false, reason: 'MODEL_NOT_AUTHORIZED' });
    await c.ok(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: true }) { inference } }`,
      { w: wid },
      root.token,
    );
    await c.ok(
      `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-max", requestLimit: 10, requestLimitPeriodSeconds: 60 }) { requestLimit } }`,
      { w: wid },
      root.token,
    );
    a = await c.ok<Access>(q, { m: 'qwen-max' }, secret);
    expect(a.modelAccess).toMatchObject({ allowed: true, reason: 'ALLOWED', rateLimit: { requestLimit: 10 } });
    await c.ok(
      `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`,
      { w: wid, p: user.id },
      root.token,
    );
    a = await c.ok<Access>(q, { m: 'qwen-max' }, secret);
    expect(a.modelAccess.reason).toBe('KEY_INACTIVE');
    const keys = await c.ok<{
      workspace: { apiKeys: { edges: Array<{ node: { prefix: string } }> }; members: { edges: Array<{ node: { pages: string[] } }> } };
    }>(
      `query($w: ID!) { workspace(id: $w) { apiKeys { edges { node { prefix } } } members { edges { node { pages } } } } }`,
      { w: wid },
      root.token,
    );
    expect(keys.workspace.apiKeys.edges).toHaveLength(1);
    const audit = await c.ok<{ auditEvents: { edges: Array<{ node: { id: string; action: string; outcome: string } }> } }>(
      `{ auditEvents(first: 50) { edges { node { id action outcome } } } }`,
      {},
      root.token,
    );
    expect(audit.auditEvents.edges.map((e) => e.node.action)).toContain('createApiKey');
    const explain = await c.ok<{ explainAccess: { allowed: boolean; layer: string; reasons: string[] } }>(
      `query($w: ID!, $p: ID!) { explainAccess(action: create_api_key, resourceId: $w, principalId: $p) { allowed layer reasons } }`,
      { w: wid, p: user.id },
      root.token,
    );
    expect(explain.explainAccess.allowed).toBe(false);
    const def = await c.request(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: false }) { inference } }`,
      { w: d.activateModelStudio.id },
      { token: root.token },
    );
    expect(outcomeOf(def)).toBe('BAD_USER_INPUT');
  });
});
