import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import { outcomeOf } from '../helpers/graphql-client.js';
import {
  accountFingerprint,
  authorizeModel,
  createKey,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

/**
 * docs/permission-matrix.md: "API keys never reach management-layer operations (rows 1-3, 6-16,
 * 18-20, 24-25): those answer FORBIDDEN for key-authenticated requests, whoever owns the key."
 */
interface World {
  account: ModelStudioAccount;
  target: TestUser;
  victimKey: CreatedKey;
  ownKeyId: string;
}
/** [name, query, variables, path of the guarded field (default: the root field)] */
type Operation = [name: string, query: string, variables: (w: World) => Record<string, unknown>, guarded?: string[]];

/** The value at `path`, null when any step on the way is null or absent. */
const at = (data: unknown, path: string[]): unknown => {
  let value: unknown = data;
  for (const key of path) {
    if (value === null || value === undefined) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? null;
};

const OPERATIONS: Operation[] = [
  [
    'activateModelStudio',
    `mutation { activateModelStudio(input: { region: US_EAST_1, acceptServiceAgreement: true }) { id } }`,
    () => ({}),
  ],
  ['createWorkspace', `mutation { createWorkspace(input: { name: "by-key", region: CN_BEIJING }) { id } }`, () => ({})],
  [
    'renameWorkspace',
    `mutation($w: ID!) { renameWorkspace(input: { workspaceId: $w, name: "by-key" }) { id } }`,
    (w) => ({ w: w.account.W }),
  ],
  [
    'createRamUser',
    `mutation { createRamUser(input: { name: "by-key", displayName: "k", password: "correct horse battery staple" }) { id } }`,
    () => ({}),
  ],
  ['disableRamUser', `mutation($id: ID!) { disableRamUser(id: $id) { id } }`, (w) => ({ id: w.target.id })],
  [
    'attachPolicy',
    `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianFullAccess }) { id } }`,
    (w) => ({ id: w.target.id }),
  ],
  ['registerModelStudioUser', `mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, (w) => ({ id: w.target.id })],
  [
    'setMemberPermissions',
    `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [ADMINISTRATOR] }) { pages } }`,
    (w) => ({ w: w.account.W, p: w.target.id }),
  ],
  [
    'removeMember',
    `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`,
    (w) => ({ w: w.account.W, p: w.target.id }),
  ],
  [
    'setModelAuthorization',
    `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-turbo", inference: true }) { inference } }`,
    (w) => ({ w: w.account.W }),
  ],
  [
    'setAllModelsAccess',
    `mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: OPEN }) { id } }`,
    (w) => ({ w: w.account.W }),
  ],
  [
    'setModelRateLimit',
    `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-max", requestLimit: 1, requestLimitPeriodSeconds: 1 }) { requestLimit } }`,
    (w) => ({ w: w.account.W }),
  ],
  ['createApiKey', `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret } }`, (w) => ({ w: w.account.W })],
  ['deleteApiKey (another key)', `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, (w) => ({ id: w.victimKey.id })],
  ['deleteApiKey (the calling key itself)', `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, (w) => ({ id: w.ownKeyId })],
  ['auditEvents', `{ auditEvents(first: 5) { edges { node { id } } } }`, () => ({})],
  [
    'explainAccess for another principal',
    `query($w: ID!, $p: ID!) { explainAccess(action: read_workspace, resourceId: $w, principalId: $p) { allowed } }`,
    (w) => ({ w: w.account.W, p: w.target.id }),
  ],
  [
    "W's members (row 13)",
    `query($w: ID!) { workspace(id: $w) { members { edges { node { pages } } } } }`,
    (w) => ({ w: w.account.W }),
    ['workspace', 'members'],
  ],
  [
    "W's API keys (row 19)",
    `query($w: ID!) { workspace(id: $w) { apiKeys { edges { node { id } } } } }`,
    (w) => ({ w: w.account.W }),
    ['workspace', 'apiKeys'],
  ],
  ["the account's RAM users", `{ account { ramUsers { edges { node { id } } } } }`, () => ({}), ['account', 'ramUsers']],
];

describe('API keys never reach management operations', () => {
  const world = {} as World;
  const keys: Record<string, CreatedKey> = {};
  let before: Record<string, string>;

  beforeAll(async () => {
    world.account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, world.account.token, world.account.W, 'qwen-max');
    world.target = await modelStudioUser(t.client, world.account, { workspaceId: world.account.W, pages: [] });
    const fa = await modelStudioUser(t.client, world.account, {
      workspaceId: world.account.W,
      pages: ['ADMINISTRATOR', 'API_KEY'],
      policies: ['AliyunBailianFullAccess', 'AliyunRAMFullAccess'],
    });
    world.victimKey = await createKey(t.client, world.account.token, world.account.W);
    keys["the root's key in W"] = await createKey(t.client, world.account.token, world.account.W);
    keys["the root's key in D"] = await createKey(t.client, world.account.token, world.account.D);
    keys["a full-access administrator's key in W"] = await createKey(t.client, fa.token, world.account.W);
    before = await accountFingerprint(t.database.db, world.account.accountId);
  });

  describe.each(["the root's key in W", "the root's key in D", "a full-access administrator's key in W"])('with %s', (keyName) => {
    it.each(OPERATIONS)('%s answers FORBIDDEN', async (_name, query, variables, guarded) => {
      const key = defined(keys[keyName], keyName);
      world.ownKeyId = key.id;
      const result = await t.client.request(query, variables(world), { token: key.secret });
      expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('FORBIDDEN');
      // The denied field is null: nothing of what it guards is served.
      expect(at(result.data, guarded ?? [Object.keys(result.data ?? {})[0] ?? ''])).toBeNull();
    });
  });

  it('nothing changed, and every key still works', async () => {
    expect(await accountFingerprint(t.database.db, world.account.accountId)).toEqual(before);
    for (const key of [...Object.values(keys), world.victimKey]) expect(await modelCall(t.client, key.secret, 'qwen-max')).toBe('ALLOWED');
  });

  it('keys still answer what they are for: modelAccess and their own workspace', async () => {
    const key = defined(keys["the root's key in W"], "the root's key in W");
    const data = await t.client.ok(
      `query($w: ID!) { workspace(id: $w) { id name } viewer { credential } }`,
      { w: world.account.W },
      key.secret,
    );
    expect(data).toEqual({ workspace: { id: world.account.W, name: 'W' }, viewer: { credential: 'API_KEY' } });
  });
});
