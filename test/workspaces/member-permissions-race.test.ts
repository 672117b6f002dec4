import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import {
  SET_MEMBER_PERMISSIONS,
  modelStudioAccount,
  modelStudioUser,
  pagesOf,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

/** docs/api.md: setMemberPermissions sets the full list; concurrent calls must not merge lists. */
describe('concurrent setMemberPermissions for one member', () => {
  let account: ModelStudioAccount;
  let admin: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    admin = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['ADMINISTRATOR'] });
  });

  const LISTS: string[][] = [
    ['MODEL_EXPERIENCE'],
    ['KNOWLEDGE_BASE', 'DATA_MANAGEMENT'],
    ['API_KEY'],
    [],
    ['BATCH_INFERENCE', 'MODEL_TUNING', 'PROMPT_ENGINEERING'],
    ['APPLICATIONS', 'MODEL_EXPERIENCE'],
    ['ADMINISTRATOR'],
    ['MY_MODELS', 'MODEL_DEPLOYMENT', 'MODEL_EVALUATION', 'MODEL_MONITORING'],
  ];
  const sorted = (pages: readonly string[]) => [...pages].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  it.each([
    ['a member that does not exist yet', false],
    ['an existing member', true],
  ])('for %s: every call succeeds and the final pages equal one submitted list exactly', async (_case, existing) => {
    const target = await modelStudioUser(t.client, account, existing ? { workspaceId: account.W, pages: ['APPLICATION_DATA'] } : {});
    for (let round = 0; round < 3; round++) {
      // The root and a workspace administrator write at the same time.
      const results = await Promise.all(
        LISTS.map((pages, i) =>
          t.client.request<{ setMemberPermissions: { pages: string[] } }>(
            SET_MEMBER_PERMISSIONS,
            { w: account.W, p: target.id, pages },
            { token: i % 2 ? admin.token : account.token },
          ),
        ),
      );
      expect(results.map(outcomeOf)).toEqual(LISTS.map(() => 'OK'));
      for (const [i, result] of results.entries()) {
        expect(sorted(defined(result.data, `the data of call ${i}`).setMemberPermissions.pages)).toEqual(
          sorted(defined(LISTS[i], `list ${i}`)),
        );
      }
      const final = await pagesOf(t.client, account.token, account.W, target.id);
      expect(final).not.toBeNull();
      expect(LISTS.map(sorted)).toContainEqual(sorted(defined(final, 'the final pages')));
      // Membership appears once, whatever the interleaving.
      const members = await t.client.ok<{ workspace: { members: { edges: Array<{ node: { principal: { id: string } } }> } } }>(
        `query($w: ID!) { workspace(id: $w) { members(first: 100) { edges { node { principal { id } } } } } }`,
        { w: account.W },
        account.token,
      );
      expect(members.workspace.members.edges.filter((e) => e.node.principal.id === target.id)).toHaveLength(1);
    }
  });

  it('concurrent set and remove of an existing member: both succeed and the end state is one of the two', async () => {
    const target = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    const [set, removal] = await Promise.all([
      t.client.request(SET_MEMBER_PERMISSIONS, { w: account.W, p: target.id, pages: ['KNOWLEDGE_BASE'] }, { token: account.token }),
      t.client.request(
        `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`,
        { w: account.W, p: target.id },
        { token: account.token },
      ),
    ]);
    expect(outcomeOf(set)).toBe('OK');
    expect(outcomeOf(removal)).toBe('OK');
    const final = await pagesOf(t.client, account.token, account.W, target.id);
    expect([null, ['KNOWLEDGE_BASE']]).toContainEqual(final);
  });
});
