import { beforeAll, describe, expect, it } from 'vitest';
import { attachPolicy, createRole, createUser, signUp, type TestAccount, type TestUser } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { uniqueName } from './support.js';

/**
 * docs/api.md: "A denied field is null with its error at its path; the rest of the response is
 * still served." Every guarded field is nullable (test/unit/permissions-coverage.test.ts),
 * so a denial never spreads to its parents.
 */
const t = gatewayForThisFile();

/** A partial answer: what is denied is null, the rest is served. */
interface ViewerAndAccount {
  viewer: { principal: { id: string } | null } | null;
  account: { id: string; ramUsers: { edges: Array<{ node: { id: string } }> } | null } | null;
}

let account: TestAccount;
let plain: TestUser;

beforeAll(async () => {
  account = await signUp(t.client);
  plain = await createUser(t.client, account.token, uniqueName('plain'));
});

describe('denied identity fields in an otherwise allowed response', () => {
  it('a plain user sees the FORBIDDEN error for account.ramUsers (current behaviour, asserted concretely)', async () => {
    const result = await t.client.request<ViewerAndAccount>(
      `{ viewer { principal { id } } account { id ramUsers { edges { node { id } } } } }`,
      {},
      { token: plain.token },
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.errors?.[0]?.path).toEqual(['account', 'ramUsers']);
  });

  it('a denied account.ramUsers leaves viewer and account.id served', async () => {
    const result = await t.client.request<ViewerAndAccount>(
      `{ viewer { principal { id } } account { id ramUsers { edges { node { id } } } } }`,
      {},
      { token: plain.token },
    );
    expect(result.data?.viewer?.principal?.id).toBe(plain.id);
    expect(result.data?.account?.id).toBe(account.accountId);
    expect(result.data?.account?.ramUsers).toBeNull();
  });

  it("assumeRole asked for the role's policies hands over the session token and the policies", async () => {
    const role = await createRole(t.client, account.token, [plain.id], uniqueName('role'));
    await attachPolicy(t.client, account.token, role.id, 'AliyunBailianControlReadOnlyAccess');
    const result = await t.client.request<{
      assumeRole: { token: string | null; principal: { id: string; policies: string[] | null } | null } | null;
    }>(`mutation($id: ID!) { assumeRole(roleId: $id) { token principal { id policies } } }`, { id: role.id }, { token: plain.token });
    expect(typeof result.data?.assumeRole?.token).toBe('string');
    expect(result.data?.assumeRole?.principal?.policies).toEqual(['AliyunBailianControlReadOnlyAccess']);
  });
});
