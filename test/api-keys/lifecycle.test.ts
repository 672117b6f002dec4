import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../helpers/fixtures.js';
import {
  authorizeModel,
  createKey,
  deleteKey,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  registerUser,
  removeMember,
  setPages,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/**
 * docs/domain.md "API keys / Lifecycle" and the model-call table of docs/permission-matrix.md, step by
 * step: each step changes the owner (or the key) and says what the owner's key and the
 * root's key answer right after (the very next request).
 */
describe('API key lifecycle', () => {
  const MODEL = 'qwen-plus';
  let account: ModelStudioAccount;
  let owner: TestUser;
  let bystander: TestUser;
  let ownerKey: CreatedKey;
  let rootKey: CreatedKey;
  let bystanderKey: CreatedKey;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL, { inference: true });
    owner = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    bystander = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
    ownerKey = await createKey(t.client, owner.token, account.W, { description: 'owner' });
    bystanderKey = await createKey(t.client, bystander.token, account.W, { description: 'bystander' });
    rootKey = await createKey(t.client, account.token, account.W, { description: 'root' });
  });

  type Step = [description: string, ownerKeyAnswer: string, act: () => Promise<unknown>];
  const steps: Step[] = [
    ['nothing changed yet', 'ALLOWED', async () => {}],
    ['the owner is removed from W', 'KEY_INACTIVE', () => removeMember(t.client, account.token, account.W, owner.id)],
    // Added back with no page permission at all: page permissions never restrict keys.
    ['the owner is added back (no pages)', 'ALLOWED', () => setPages(t.client, account.token, account.W, owner.id, [])],
    [
      'the owner is disabled',
      'KEY_INACTIVE',
      () => t.client.ok(`mutation($id: ID!) { disableRamUser(id: $id) { status } }`, { id: owner.id }, account.token),
    ],
    [
      'the owner is enabled again',
      'ALLOWED',
      () => t.client.ok(`mutation($id: ID!) { enableRamUser(id: $id) { status } }`, { id: owner.id }, account.token),
    ],
    ['another member is removed', 'ALLOWED', () => removeMember(t.client, account.token, account.W, bystander.id)],
    [
      'another member is disabled',
      'ALLOWED',
      () => t.client.ok(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: bystander.id }, account.token),
    ],
    [
      'the owner is deleted',
      'UNAUTHENTICATED',
      () => t.client.ok(`mutation($id: ID!) { deleteRamUser(id: $id) { status } }`, { id: owner.id }, account.token),
    ],
    [
      'a new user with the same name is created, registered and added to W',
      'UNAUTHENTICATED',
      async () => {
        const again = await createUser(t.client, account.token, owner.name);
        expect(again.id).not.toBe(owner.id);
        await registerUser(t.client, account.token, again.id);
        await setPages(t.client, account.token, account.W, again.id, ['API_KEY', 'ADMINISTRATOR']);
      },
    ],
  ];

  it.each(steps)("%s: the owner's key answers %s, the root's key keeps working", async (_description, expected, act) => {
    await act();
    expect(await modelCall(t.client, ownerKey.secret, MODEL)).toBe(expected);
    expect(await modelCall(t.client, rootKey.secret, MODEL)).toBe('ALLOWED');
  });

  it("the disabled bystander's key is inactive, not unauthenticated; a deleted key is UNAUTHENTICATED", async () => {
    expect(await modelCall(t.client, bystanderKey.secret, MODEL)).toBe('KEY_INACTIVE');
    await deleteKey(t.client, account.token, bystanderKey.id);
    expect(await modelCall(t.client, bystanderKey.secret, MODEL)).toBe('UNAUTHENTICATED');
    // Re-enabling and re-adding the owner does not bring a deleted key back.
    await t.client.ok(`mutation($id: ID!) { enableRamUser(id: $id) { id } }`, { id: bystander.id }, account.token);
    await setPages(t.client, account.token, account.W, bystander.id, ['API_KEY']);
    expect(await modelCall(t.client, bystanderKey.secret, MODEL)).toBe('UNAUTHENTICATED');
  });

  it("a deleted root key is UNAUTHENTICATED too, and the deleted owner's key stays invalid", async () => {
    const second = await createKey(t.client, account.token, account.W);
    expect(await modelCall(t.client, second.secret, MODEL)).toBe('ALLOWED');
    await deleteKey(t.client, account.token, second.id);
    expect(await modelCall(t.client, second.secret, MODEL)).toBe('UNAUTHENTICATED');
    expect(await modelCall(t.client, ownerKey.secret, MODEL)).toBe('UNAUTHENTICATED');
    expect(await modelCall(t.client, rootKey.secret, MODEL)).toBe('ALLOWED');
  });

  it("a deleted owner's key no longer authenticates anything, not even viewer", async () => {
    const result = await t.client.request(`{ viewer { principal { id } } }`, {}, { token: ownerKey.secret });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

/** docs/domain.md: "Deleting the role ends its sessions and invalidates keys it owns." */
describe('API keys owned by a RAM role', () => {
  const MODEL = 'qwen-max';
  let account: ModelStudioAccount;
  let assumer: TestUser;
  let roleId: string;
  let roleKey: CreatedKey;
  let roleToken: string;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL);
    assumer = await createUser(t.client, account.token);
    const role = await t.client.ok<{ createRamRole: { id: string } }>(
      `mutation($u: ID!) { createRamRole(input: { name: "key-maker", trustedUserIds: [$u] }) { id } }`,
      { u: assumer.id },
      account.token,
    );
    roleId = role.createRamRole.id;
    await registerUser(t.client, account.token, roleId);
    await setPages(t.client, account.token, account.W, roleId, ['API_KEY']);
    roleToken = (
      await t.client.ok<{ assumeRole: { token: string } }>(
        `mutation($id: ID!) { assumeRole(roleId: $id) { token } }`,
        { id: roleId },
        assumer.token,
      )
    ).assumeRole.token;
    roleKey = await createKey(t.client, roleToken, account.W);
  });

  it('the key belongs to the role, not to the user who assumed it', async () => {
    const data = await t.client.ok<{ node: { owner: unknown } }>(
      `query($id: ID!) { node(id: $id) { ... on ApiKey { owner { id kind } } } }`,
      { id: roleKey.id },
      account.token,
    );
    expect(data.node.owner).toEqual({ id: roleId, kind: 'RAM_ROLE' });
  });

  type Step = [description: string, roleKeyAnswer: string, act: () => Promise<unknown>];
  const steps: Step[] = [
    ['nothing changed yet', 'ALLOWED', async () => {}],
    ['the role is removed from W', 'KEY_INACTIVE', () => removeMember(t.client, account.token, account.W, roleId)],
    ['the role is added back', 'ALLOWED', () => setPages(t.client, account.token, account.W, roleId, [])],
    [
      'the assuming user is disabled',
      'ALLOWED',
      () => t.client.ok(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: assumer.id }, account.token),
    ],
    [
      'the assuming user is enabled again',
      'ALLOWED',
      () => t.client.ok(`mutation($id: ID!) { enableRamUser(id: $id) { id } }`, { id: assumer.id }, account.token),
    ],
    [
      'the role is deleted',
      'UNAUTHENTICATED',
      async () => {
        // The role session works right up to the deletion.
        expect(
          (await t.client.ok<{ viewer: { principal: { id: string } } }>(`{ viewer { principal { id } } }`, {}, roleToken)).viewer.principal
            .id,
        ).toBe(roleId);
        await t.client.ok(`mutation($id: ID!) { deleteRamRole(id: $id) { id } }`, { id: roleId }, account.token);
      },
    ],
  ];

  it.each(steps)("%s: the role's key answers %s", async (_description, expected, act) => {
    await act();
    expect(await modelCall(t.client, roleKey.secret, MODEL)).toBe(expected);
  });

  it('the role session ended with the role', async () => {
    const result = await t.client.request(`{ viewer { principal { id } } }`, {}, { token: roleToken });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
