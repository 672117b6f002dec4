import { describe, expect, it } from 'vitest';
import { signUp, type TestAccount } from '../helpers/fixtures.js';
import { defined } from '../helpers/assertions.js';
import { dataOf, outcomeOf } from '../helpers/graphql-client.js';
import {
  CREATE_WORKSPACE,
  type CreateWorkspaceData,
  activateRegion,
  createWorkspace,
  expectError,
  listWorkspaces,
  modelStudioUser,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/** docs/domain.md: at most 20 workspaces per account, the default ones included. */
describe('the 20-workspace limit', () => {
  async function accountWith(subWorkspaces: number): Promise<TestAccount> {
    const account = await signUp(t.client);
    await activateRegion(t.client, account.token, 'CN_BEIJING');
    for (let i = 1; i <= subWorkspaces; i++) await createWorkspace(t.client, account.token, `sub-${i}`);
    expect(await listWorkspaces(t.client, account.token)).toHaveLength(subWorkspaces + 1);
    return account;
  }

  it('default workspace + 19 sub-workspaces = 20: the next createWorkspace is CONFLICT and creates nothing', async () => {
    const account = await accountWith(19);
    const before = await listWorkspaces(t.client, account.token);
    expect(before.filter((w) => w.kind === 'DEFAULT')).toHaveLength(1);

    const result = await t.client.request<{ createWorkspace: CreateWorkspaceData['createWorkspace'] | null }>(
      CREATE_WORKSPACE,
      { n: 'one-too-many', r: 'CN_BEIJING' },
      { token: account.token },
    );
    expectError(result, 'CONFLICT');
    expect(result.data?.createWorkspace ?? null).toBeNull();
    expect(await listWorkspaces(t.client, account.token)).toEqual(before);

    // An AliyunBailianFullAccess holder meets the same limit.
    const fa = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
    expectError(await t.client.request(CREATE_WORKSPACE, { n: 'fa-too-many', r: 'CN_BEIJING' }, { token: fa.token }), 'CONFLICT');

    // Activating another region would create a 21st (default) workspace: refused, and the region stays inactive.
    const activation = await t.client.request(
      `mutation { activateModelStudio(input: { region: US_EAST_1, acceptServiceAgreement: true }) { id } }`,
      {},
      { token: account.token },
    );
    expectError(activation, 'CONFLICT');
    expect(await listWorkspaces(t.client, account.token)).toEqual(before);
    expectError(
      await t.client.request(CREATE_WORKSPACE, { n: 'virginia', r: 'US_EAST_1' }, { token: account.token }),
      'BAD_USER_INPUT',
      'input.region',
    );

    // Renaming still works at the limit (it takes no slot).
    const renamed = await t.client.ok<{ renameWorkspace: { name: string } }>(
      `mutation($w: ID!) { renameWorkspace(input: { workspaceId: $w, name: "sub-1-renamed" }) { name } }`,
      {
        w: defined(
          before.find((w) => w.name === 'sub-1'),
          'the workspace sub-1',
        ).id,
      },
      account.token,
    );
    expect(renamed.renameWorkspace.name).toBe('sub-1-renamed');
  });

  it('two concurrent createWorkspace at 19 workspaces: exactly one succeeds, the account ends with 20', async () => {
    const account = await accountWith(18);
    const results = await Promise.all(
      ['race-a', 'race-b'].map((n) =>
        t.client.request<CreateWorkspaceData>(CREATE_WORKSPACE, { n, r: 'CN_BEIJING' }, { token: account.token }),
      ),
    );
    expect(results.map(outcomeOf).sort()).toEqual(['CONFLICT', 'OK']);
    const after = await listWorkspaces(t.client, account.token);
    expect(after).toHaveLength(20);
    const winner = dataOf(
      defined(
        results.find((r) => outcomeOf(r) === 'OK'),
        'the successful createWorkspace',
      ),
    ).createWorkspace.name;
    expect(after.filter((w) => w.name.startsWith('race-')).map((w) => w.name)).toEqual([winner]);
  });

  it('five concurrent createWorkspace at 18 workspaces: exactly two succeed', async () => {
    const account = await accountWith(17);
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => t.client.request(CREATE_WORKSPACE, { n: `burst-${i}`, r: 'CN_BEIJING' }, { token: account.token })),
    );
    expect(results.map(outcomeOf).sort()).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'OK', 'OK']);
    expect(await listWorkspaces(t.client, account.token)).toHaveLength(20);
  });
});
