import { describe, expect, it } from 'vitest';
import { authorizeModel, createKey, deleteKey, modelStudioAccount, modelStudioUser } from '../helpers/model-studio-fixtures.js';
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

/** A sub-workspace with three members: two keys of the first (one expiring), a disabled and a deleted key of the second, none of the third. */
async function workspaceWithMembersAndKeys() {
  const c = t.client;
  const account = await modelStudioAccount(c);
  const w = account.W;
  await authorizeModel(c, account.token, w, 'qwen-max');
  const keyHolder = { workspaceId: w, pages: ['API_KEY', 'MODEL_EXPERIENCE'] } as const;
  const first = await modelStudioUser(c, account, keyHolder);
  const second = await modelStudioUser(c, account, keyHolder);
  await modelStudioUser(c, account, { workspaceId: w, pages: [] });
  await createKey(c, first.token, w, { description: 'ci', modelScope: ['qwen-max'], ipAllowlist: ['10.0.0.0/8'] });
  await c.ok(
    `mutation($w: ID!, $at: DateTime!) { createApiKey(input: { workspaceId: $w, expiresAt: $at }) { apiKey { id } } }`,
    { w, at: new Date(Date.now() + 86_400_000).toISOString() },
    first.token,
  );
  const disabled = await createKey(c, second.token, w, { description: 'off' });
  await c.ok(
    `mutation($i: SetApiKeyStatusInput!) { setApiKeyStatus(input: $i) { id } }`,
    { i: { id: disabled.id, status: 'DISABLED' } },
    account.token,
  );
  await deleteKey(c, account.token, (await createKey(c, second.token, w)).id);
  return { w, token: account.token };
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
