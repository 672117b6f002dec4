import { describe, expect, it } from 'vitest';
import { signUp } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import { CREATE_WORKSPACE, activateRegion, expectError, listWorkspaces } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

const ACTIVATE = `mutation($r: Region!, $a: Boolean!) { activateModelStudio(input: { region: $r, acceptServiceAgreement: $a }) { id kind region } }`;

/** docs/domain.md "Activation, regions, workspaces". */
describe('activation per region', () => {
  it('activating a region twice is CONFLICT and keeps one default workspace', async () => {
    const account = await signUp(t.client);
    const d = await activateRegion(t.client, account.token, 'CN_HONGKONG');
    const result = await t.client.request(ACTIVATE, { r: 'CN_HONGKONG', a: true }, { token: account.token });
    expectError(result, 'CONFLICT');
    expect(await listWorkspaces(t.client, account.token)).toEqual([
      { id: d, name: 'Default Workspace', region: 'CN_HONGKONG', kind: 'DEFAULT' },
    ]);
  });

  it('two concurrent activations of one region: exactly one succeeds', async () => {
    const account = await signUp(t.client);
    const results = await Promise.all(
      [1, 2].map(() => t.client.request(ACTIVATE, { r: 'EU_CENTRAL_1', a: true }, { token: account.token })),
    );
    expect(results.map(outcomeOf).sort()).toEqual(['CONFLICT', 'OK']);
    expect(await listWorkspaces(t.client, account.token)).toHaveLength(1);
  });

  it('without accepting the service agreement: BAD_USER_INPUT, nothing activated', async () => {
    const account = await signUp(t.client);
    expectError(
      await t.client.request(ACTIVATE, { r: 'US_EAST_1', a: false }, { token: account.token }),
      'BAD_USER_INPUT',
      'input.acceptServiceAgreement',
    );
    expect(await listWorkspaces(t.client, account.token)).toEqual([]);
    expectError(
      await t.client.request(CREATE_WORKSPACE, { n: 'w', r: 'US_EAST_1' }, { token: account.token }),
      'BAD_USER_INPUT',
      'input.region',
    );
  });

  it.each([
    ['an account that activated nothing', [] as string[]],
    ['an account that activated another region', ['CN_BEIJING']],
  ])('createWorkspace in a region not activated is BAD_USER_INPUT naming input.region (%s)', async (_case, activated) => {
    const account = await signUp(t.client);
    for (const region of activated) await activateRegion(t.client, account.token, region as 'CN_BEIJING');
    const before = await listWorkspaces(t.client, account.token);
    const result = await t.client.request(CREATE_WORKSPACE, { n: 'team', r: 'AP_SOUTHEAST_1' }, { token: account.token });
    expectError(result, 'BAD_USER_INPUT', 'input.region');
    expect(await listWorkspaces(t.client, account.token)).toEqual(before);
  });

  it("another account's activation does not activate the region for this one", async () => {
    const first = await signUp(t.client);
    await activateRegion(t.client, first.token, 'AP_SOUTHEAST_1');
    const second = await signUp(t.client);
    expectError(
      await t.client.request(CREATE_WORKSPACE, { n: 'team', r: 'AP_SOUTHEAST_1' }, { token: second.token }),
      'BAD_USER_INPUT',
      'input.region',
    );
    // And the second account can still activate it for itself.
    await activateRegion(t.client, second.token, 'AP_SOUTHEAST_1');
  });
});
