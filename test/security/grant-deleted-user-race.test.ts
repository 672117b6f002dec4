import { beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf } from '../helpers/graphql-client.js';
import {
  CREATE_API_KEY,
  SET_MEMBER_PERMISSIONS,
  modelStudioAccount,
  modelStudioUser,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

/**
 * docs/domain.md: deleting a RAM user is permanent and takes its grants with it. A grant racing
 * the deletion (on PostgreSQL, with a real connection pool, so the transactions interleave)
 * must either be refused or be removed with the rest: no deleted user stays a member, holds
 * a policy or owns a live key, and the workspace's key count matches its live keys.
 */
describe('deleteRamUser racing grants to the same user', () => {
  const ROUNDS = 12;
  let account: ModelStudioAccount;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
  });

  it(`leaves no grant to a deleted user (${ROUNDS} rounds)`, async () => {
    const deleted: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const user = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
      const [deletion, ...grants] = await Promise.all([
        t.client.request(`mutation($id: ID!) { deleteRamUser(id: $id) { id } }`, { id: user.id }, { token: account.token }),
        t.client.request(SET_MEMBER_PERMISSIONS, { w: account.W, p: user.id, pages: ['ADMINISTRATOR'] }, { token: account.token }),
        t.client.request(CREATE_API_KEY, { w: account.W, scope: [], ips: [], d: `round ${round}` }, { token: user.token }),
        t.client.request(
          `mutation($p: ID!) { attachPolicy(input: { principalId: $p, policy: AliyunBailianFullAccess }) { id } }`,
          { p: user.id },
          { token: account.token },
        ),
      ]);
      expect(outcomeOf(defined(deletion, 'the deletion'))).toBe('OK');
      // Each grant either happened before the deletion (which then removed it) or was refused.
      for (const grant of grants) expect(['OK', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN']).toContain(outcomeOf(grant));
      deleted.push(user.id);
    }

    const view = await t.client.ok<{
      workspace: {
        members: { edges: Array<{ node: { principal: { id: string } } }> };
        apiKeys: { edges: Array<{ node: { owner: { id: string } } }> };
      };
    }>(
      `query($w: ID!) { workspace(id: $w) {
        members(first: 100) { edges { node { principal { id } } } }
        apiKeys(first: 100) { edges { node { owner { id } } } } } }`,
      { w: account.W },
      account.token,
    );
    const members: string[] = view.workspace.members.edges.map((e) => e.node.principal.id);
    const keyOwners: string[] = view.workspace.apiKeys.edges.map((e) => e.node.owner.id);
    const db = t.database.db;
    const policies = await db.selectFrom('policy_attachment').select('principal_id').where('principal_id', 'in', deleted).execute();
    const liveKeys = await db
      .selectFrom('api_key')
      .select('id')
      .where('workspace_id', '=', account.W)
      .where('deleted_at', 'is', null)
      .execute();
    const workspace = await db.selectFrom('workspace').select('api_key_count').where('id', '=', account.W).executeTakeFirstOrThrow();
    expect({
      deletedMembers: members.filter((id) => deleted.includes(id)),
      deletedKeyOwners: keyOwners.filter((id) => deleted.includes(id)),
      deletedPolicyHolders: policies.map((p) => p.principal_id),
      apiKeyCount: workspace.api_key_count,
    }).toEqual({ deletedMembers: [], deletedKeyOwners: [], deletedPolicyHolders: [], apiKeyCount: liveKeys.length });
  });
});
