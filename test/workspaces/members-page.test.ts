import { describe, expect, it } from 'vitest';
import { createUser, registerInModelStudio, signUp } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

// A page of members is read as one JSON value built by PostgreSQL (src/db/json-rows.ts), its
// members' keys in the same statement: what it answers must be what the row-by-row reads answer.
const t = gatewayForThisFile();

const KEY_FIELDS = 'id prefix description modelScope ipAllowlist createdAt status expiresAt lastUsedAt owner { id }';
const PRINCIPAL_FIELDS = 'id kind name status policies registeredInModelStudio createdAt ... on RamUser { displayName loginName }';

interface Member {
  pages: string[];
  role: string;
  createdAt: string;
  updatedAt: string;
  principal: { id: string };
  apiKeys: Array<{ id: string }>;
}

async function workspaceWithMembersAndKeys() {
  const c = t.client;
  const account = await signUp(c);
  await c.ok(`mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`, {}, account.token);
  const w = (
    await c.ok<{ createWorkspace: { id: string } }>(
      `mutation { createWorkspace(input: { name: "members-page", region: CN_BEIJING }) { id } }`,
      {},
      account.token,
    )
  ).createWorkspace.id;
  await c.ok(
    `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: true }) { inference } }`,
    { w },
    account.token,
  );
  const users = [];
  for (let i = 0; i < 3; i++) {
    const user = await createUser(c, account.token);
    await registerInModelStudio(c, account.token, user.id);
    await c.ok(
      `mutation($w: ID!, $p: ID!, $pages: [Page!]!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: $pages }) { pages } }`,
      { w, p: user.id, pages: i === 2 ? [] : ['API_KEY', 'MODEL_EXPERIENCE'] },
      account.token,
    );
    users.push(user);
  }
  const [first, second] = users as [(typeof users)[number], (typeof users)[number]];
  const createKey = async (ownerId: string, input: Record<string, unknown>) =>
    (
      await c.ok<{ createApiKey: { apiKey: { id: string } } }>(
        `mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }`,
        { i: { workspaceId: w, ownerId, ...input } },
        account.token,
      )
    ).createApiKey.apiKey.id;
  await createKey(first.id, { description: 'ci', modelScope: ['qwen-max'], ipAllowlist: ['10.0.0.0/8'] });
  const expiring = await createKey(first.id, { expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
  const disabled = await createKey(second.id, { description: 'off' });
  await c.ok(
    `mutation($i: SetApiKeyStatusInput!) { setApiKeyStatus(input: $i) { id } }`,
    { i: { id: disabled, status: 'DISABLED' } },
    account.token,
  );
  const deleted = await createKey(second.id, {});
  await c.ok(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: deleted }, account.token);
  return { w, token: account.token, expiring };
}

describe('a page of members read as one JSON value', () => {
  it('answers every field as the row-by-row reads do: timestamps, arrays, nulls, keys in order, no deleted key', async () => {
    const { w, token } = await workspaceWithMembersAndKeys();
    const page = await t.client.ok<{ workspace: { members: { edges: Array<{ cursor: string; node: Member }> } } }>(
      `query($w: ID!) { workspace(id: $w) { members(first: 10) { edges { cursor node {
        pages role createdAt updatedAt principal { ${PRINCIPAL_FIELDS} } apiKeys { ${KEY_FIELDS} }
      } } } } }`,
      { w },
      token,
    );
    const members = page.workspace.members.edges.map((edge) => edge.node);
    expect(members.map((m) => m.apiKeys.length)).toEqual([2, 1, 0]);
    for (const member of members) {
      // The principal, read by ID (a row through the driver), is the same object.
      const alone = await t.client.ok<{ node: unknown }>(
        `query($id: ID!) { node(id: $id) { ... on Principal { ${PRINCIPAL_FIELDS} } } }`,
        { id: member.principal.id },
        token,
      );
      expect(member.principal).toEqual(alone.node);
      expect(Number.isNaN(Date.parse(member.createdAt))).toBe(false);
      expect(Date.parse(member.updatedAt)).toBeGreaterThanOrEqual(Date.parse(member.createdAt));
    }
    // The workspace's own key list reads rows through the driver: the members' keys are those keys.
    const listed = await t.client.ok<{ workspace: { apiKeys: { edges: Array<{ node: { id: string } }> } } }>(
      `query($w: ID!) { workspace(id: $w) { apiKeys(first: 10) { edges { node { ${KEY_FIELDS} } } } } }`,
      { w },
      token,
    );
    const byId = new Map(listed.workspace.apiKeys.edges.map((edge) => [edge.node.id, edge.node]));
    const keysOfMembers = members.flatMap((m) => m.apiKeys);
    expect(keysOfMembers).toEqual(keysOfMembers.map((key) => byId.get(key.id)));
    expect(keysOfMembers).toHaveLength(byId.size);
  });

  it('pages backward in the same order, and its cursors continue the forward pages', async () => {
    const { w, token } = await workspaceWithMembersAndKeys();
    type Page = { workspace: { members: { edges: Array<{ cursor: string; node: { principal: { id: string } } }> } } };
    const query = `query($w: ID!, $first: Int, $last: Int, $after: String) { workspace(id: $w) {
      members(first: $first, last: $last, after: $after) { edges { cursor node { principal { id } apiKeys { id } } } } } }`;
    const all = (await t.client.ok<Page>(query, { w, first: 10 }, token)).workspace.members.edges;
    const lastTwo = (await t.client.ok<Page>(query, { w, last: 2 }, token)).workspace.members.edges;
    expect(lastTwo).toEqual(all.slice(1));
    const afterFirst = (await t.client.ok<Page>(query, { w, first: 10, after: all[0]?.cursor }, token)).workspace.members.edges;
    expect(afterFirst).toEqual(all.slice(1));
  });
});
