import { beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestAccount } from '../helpers/fixtures.js';
import { defined } from '../helpers/assertions.js';
import { dataOf, firstError, outcomeOf } from '../helpers/graphql-client.js';
import {
  CREATE_WORKSPACE,
  type CreateWorkspaceData,
  activateRegion,
  createWorkspace,
  expectError,
  listWorkspaces,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

const RENAME = `mutation($w: ID!, $n: String!) { renameWorkspace(input: { workspaceId: $w, name: $n }) { id name } }`;

/** docs/domain.md: workspace names are unique within an account and region. */
describe('workspace names', () => {
  let account: TestAccount;
  let team: string;
  let other: string;

  beforeAll(async () => {
    account = await signUp(t.client);
    await activateRegion(t.client, account.token, 'CN_BEIJING');
    await activateRegion(t.client, account.token, 'AP_SOUTHEAST_1');
    team = await createWorkspace(t.client, account.token, 'team', 'CN_BEIJING');
    other = await createWorkspace(t.client, account.token, 'other', 'CN_BEIJING');
  });

  it.each([
    ['the same name in the same region', 'team', 'CN_BEIJING'],
    ["the default workspace's name in its region", 'Default Workspace', 'CN_BEIJING'],
  ])('createWorkspace with %s is CONFLICT naming input.name and creates nothing', async (_case, name, region) => {
    const before = await listWorkspaces(t.client, account.token);
    const result = await t.client.request(CREATE_WORKSPACE, { n: name, r: region }, { token: account.token });
    expectError(result, 'CONFLICT');
    expect(firstError(result).extensions?.field).toBe('input.name');
    expect(await listWorkspaces(t.client, account.token)).toEqual(before);
  });

  it('the same name in another activated region is fine', async () => {
    const data = await t.client.ok<CreateWorkspaceData>(CREATE_WORKSPACE, { n: 'team', r: 'AP_SOUTHEAST_1' }, account.token);
    expect(data.createWorkspace).toMatchObject({ name: 'team', region: 'AP_SOUTHEAST_1', kind: 'SUB' });
    expect(data.createWorkspace.id).not.toBe(team);
  });

  it('the same name in another account is fine', async () => {
    const stranger = await signUp(t.client);
    await activateRegion(t.client, stranger.token, 'CN_BEIJING');
    const data = await t.client.ok<CreateWorkspaceData>(CREATE_WORKSPACE, { n: 'team', r: 'CN_BEIJING' }, stranger.token);
    expect(data.createWorkspace.name).toBe('team');
  });

  it('renaming to a name taken in the region is CONFLICT and keeps the old name', async () => {
    const result = await t.client.request(RENAME, { w: other, n: 'team' }, { token: account.token });
    expectError(result, 'CONFLICT');
    const names = (await listWorkspaces(t.client, account.token)).filter((w) => w.region === 'CN_BEIJING').map((w) => w.name);
    expect(names.sort((a, b) => a.localeCompare(b))).toEqual(['Default Workspace', 'other', 'team']);
  });

  it('renaming to a name used only in another region is fine, and frees the old name', async () => {
    await createWorkspace(t.client, account.token, 'sg-only', 'AP_SOUTHEAST_1');
    await t.client.ok(RENAME, { w: other, n: 'sg-only' }, account.token);
    const data = await t.client.ok<CreateWorkspaceData>(CREATE_WORKSPACE, { n: 'other', r: 'CN_BEIJING' }, account.token);
    expect(data.createWorkspace.name).toBe('other');
  });

  it('five concurrent createWorkspace with the same name: exactly one succeeds, the others are CONFLICT', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        t.client.request<CreateWorkspaceData>(CREATE_WORKSPACE, { n: 'contested', r: 'CN_BEIJING' }, { token: account.token }),
      ),
    );
    expect(results.map(outcomeOf).sort()).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'OK']);
    const contested = (await listWorkspaces(t.client, account.token)).filter((w) => w.name === 'contested');
    expect(contested).toHaveLength(1);
    const winner = defined(
      results.find((r) => outcomeOf(r) === 'OK'),
      'the successful createWorkspace',
    );
    expect(contested[0]?.id).toBe(dataOf(winner).createWorkspace.id);
  });

  it('a failed duplicate does not use up a workspace slot', async () => {
    // Had any refused attempt above taken a slot, filling up to 20 would meet CONFLICT early.
    const count = (await listWorkspaces(t.client, account.token)).length;
    for (let i = count; i < 20; i++) await createWorkspace(t.client, account.token, `fill-${i}`, 'CN_BEIJING');
    expect(await listWorkspaces(t.client, account.token)).toHaveLength(20);
  });
});
