import { describe, expect, it } from 'vitest';
import { attachPolicy, createUser, signUp } from '../helpers/fixtures.js';
import { countStatements, type StatementCount } from '../../src/db/statement-counter.js';
import { createLoaders, forgetLoadedRows } from '../../src/loaders.js';
import { membershipKey } from '../../src/workspaces/workspaces.loaders.js';
import { defined } from '../helpers/assertions.js';
import { modelStudioAccount, modelStudioUser } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
// What a console's members page loads: the query the benchmark's `consolePage` measures.
import { CONSOLE_PAGE_QUERY } from '../../bench/scenarios.js';

// The statement count is served only when asked for (EXPOSE_STATEMENT_COUNT).
const t = gatewayForThisFile({ exposeStatementCount: true });

async function statementsFor(query: string, variables: Record<string, unknown>, token: string) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown };
  expect(body.errors).toBeUndefined();
  return Number(response.headers.get('x-sql-statements'));
}

async function workspaceWithMembers(rootToken: string, name: string, count: number) {
  const c = t.client;
  const w = (
    await c.ok<{ createWorkspace: { id: string } }>(
      `mutation($n: String!) { createWorkspace(input: { name: $n, region: CN_BEIJING }) { id } }`,
      { n: name },
      rootToken,
    )
  ).createWorkspace.id;
  for (let i = 0; i < count; i++) {
    const id = (
      await c.ok<{ createRamUser: { id: string } }>(
        `mutation($i: CreateRamUserInput!) { createRamUser(input: $i) { id } }`,
        { i: { name: `${name}-u${i}`, displayName: `U${i}`, password: 'a long enough password' } },
        rootToken,
      )
    ).createRamUser.id;
    await c.ok<{ registerModelStudioUser: { id: string } }>(
      `mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`,
      { id },
      rootToken,
    );
    await c.ok(
      `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [API_KEY, MODEL_EXPERIENCE] }) { pages } }`,
      { w, p: id },
      rootToken,
    );
  }
  for (const model of ['qwen-max', 'qwen-plus', 'qwen-turbo']) {
    await c.ok(
      `mutation($w: ID!, $m: ID!) { setModelAuthorization(input: { workspaceId: $w, model: $m, inference: true }) { inference } }`,
      { w, m: model },
      rootToken,
    );
  }
  await c.ok<{ createApiKey: { secret: string } }>(
    `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret } }`,
    { w },
    rootToken,
  );
  return w;
}

describe('statements per request are constant in list sizes', () => {
  it('consolePage costs the same with 10 and with 100 members, at most 6 statements', async () => {
    const root = await signUp(t.client);
    await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );
    const small = await workspaceWithMembers(root.token, 'small', 10);
    const large = await workspaceWithMembers(root.token, 'large', 100);
    const fa = await createUser(t.client, root.token);
    await attachPolicy(t.client, root.token, fa.id, 'AliyunBailianFullAccess');

    for (const token of [root.token, fa.token]) {
      const forSmall = await statementsFor(CONSOLE_PAGE_QUERY, { w: small }, token);
      const forLarge = await statementsFor(CONSOLE_PAGE_QUERY, { w: large }, token);
      expect(forLarge).toBe(forSmall);
      expect(forLarge).toBeLessThanOrEqual(6);
    }
  }, 120_000);
});

/** The console page, with what the viewer may do on the workspace, on each member and on each key (issue #13). */
const CONSOLE_PAGE_WITH_PERMISSIONS = `query($w: ID!) {
  workspace(id: $w) {
    id name kind
    viewerPages
    viewerPermissions { renameWorkspace manageMembers authorizeModel createApiKey listApiKeys readUsage }
    members(first: 100) {
      edges { node { pages role
        principal { id name ... on RamUser { loginName viewerPermissions { manageRamIdentity attachPolicy manageAccessKeys revokeSessions } } }
        apiKeys { id prefix viewerPermissions { readApiKey deleteApiKey manageApiKey } } } }
    }
    modelAuthorizations(first: 100) { edges { node { inference finetune deploy model { id displayName } } } }
  }
}`;

describe('viewerPermissions on a console page', () => {
  it('costs the same with 10 and with 100 members, and at most a constant more than the page without them', async () => {
    const root = await signUp(t.client);
    await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );
    const small = await workspaceWithMembers(root.token, 'small', 10);
    const large = await workspaceWithMembers(root.token, 'large', 100);
    const admin = await createUser(t.client, root.token);
    await t.client.ok(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: admin.id }, root.token);
    for (const w of [small, large]) {
      await t.client.ok(
        `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [ADMINISTRATOR] }) { pages } }`,
        { w, p: admin.id },
        root.token,
      );
    }
    const fa = await createUser(t.client, root.token);
    await attachPolicy(t.client, root.token, fa.id, 'AliyunBailianFullAccess');

    // The root and a policy holder need no membership; a workspace administrator's is loaded once.
    for (const token of [root.token, fa.token, admin.token]) {
      const without = await statementsFor(CONSOLE_PAGE_QUERY, { w: large }, token);
      const forSmall = await statementsFor(CONSOLE_PAGE_WITH_PERMISSIONS, { w: small }, token);
      const forLarge = await statementsFor(CONSOLE_PAGE_WITH_PERMISSIONS, { w: large }, token);
      expect(forLarge).toBe(forSmall);
      expect(forLarge).toBeLessThanOrEqual(without + 3);
    }
  }, 180_000);
});

describe('the inference proxy path', () => {
  it('modelAccess with an API key costs one statement, authentication included', async () => {
    const root = await signUp(t.client);
    const d = await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: US_EAST_1, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );
    const key = await t.client.ok<{ createApiKey: { secret: string } }>(
      `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret } }`,
      { w: d.activateModelStudio.id },
      root.token,
    );
    const statements = await statementsFor(
      `{ modelAccess(model: "qwen-max") { allowed reason rateLimit { requestLimit } workspace { id kind } } }`,
      {},
      key.createApiKey.secret,
    );
    expect(statements).toBe(1);
  });
});

describe("a RAM user's memberships come with its authentication", () => {
  const WORKSPACE = `query($w: ID!) { workspace(id: $w) { id name modelAuthorizations(first: 10) { edges { node { inference } } } } }`;

  it('a member reads its workspace in the statements the root needs, by session and by AccessKey pair', async () => {
    const root = await modelStudioAccount(t.client);
    const member = await modelStudioUser(t.client, root, { workspaceId: root.W, pages: ['API_KEY', 'MODEL_EXPERIENCE'] });
    const pair = await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
      `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`,
      { p: member.id },
      root.token,
    );
    const pairToken = `${pair.createAccessKey.accessKey.id}:${pair.createAccessKey.secret}`;
    const byRoot = await statementsFor(WORKSPACE, { w: root.W }, root.token);
    expect(await statementsFor(WORKSPACE, { w: root.W }, member.token)).toBe(byRoot);
    expect(await statementsFor(WORKSPACE, { w: root.W }, pairToken)).toBe(byRoot);
  });

  it('known memberships answer without a query, a missing one included, until the loaders are cleared after a change', async () => {
    const root = await modelStudioAccount(t.client);
    const member = await modelStudioUser(t.client, root, { workspaceId: root.W, pages: ['API_KEY'] });
    const count: StatementCount = { statements: 0 };
    const loaders = createLoaders(t.database.db.withPlugin(countStatements(count)));
    const [membership] = await t.database.db.selectFrom('membership').selectAll().where('principal_id', '=', member.id).execute();
    loaders.knowMembershipsOf(member.id, [defined(membership, 'the membership')]);
    expect((await loaders.membership.load(membershipKey(root.W, member.id)))?.pages).toEqual(['API_KEY']);
    expect(await loaders.membership.load(membershipKey(root.D, member.id))).toBeNull();
    expect(count.statements).toBe(0);
    forgetLoadedRows(loaders);
    expect((await loaders.membership.load(membershipKey(root.W, member.id)))?.pages).toEqual(['API_KEY']);
    expect(count.statements).toBe(1);
  });
});
