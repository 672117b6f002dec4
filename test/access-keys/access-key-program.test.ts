import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { attachPolicy, createRole, createUser, type TestRole, type TestUser } from '../helpers/fixtures.js';
import { dataOf } from '../helpers/graphql-client.js';
import {
  SET_MODEL_AUTHORIZATION,
  accountFingerprint,
  auditEvents,
  expectError,
  modelAuthorizations,
  modelCall,
  modelStudioAccount,
  pagesOf,
  uniqueName,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

/**
 * The must-show: a partner's program holds only an AccessKey pair of a RAM user with
 * AliyunBailianControlFullAccess, never a password or a console session, and does the
 * management layer's work with it; it is refused what the user is refused (model authorization).
 * It can also assume a role trusting the user, like STS, for 900 to 43,200 s.
 */
const t = gatewayForThisFile();

const CREATE_PAIR = `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`;
const MODEL = 'qwen-max';

let account: ModelStudioAccount;
let programUser: TestUser;
/** `<AccessKeyId>:<AccessKeySecret>`: all the program has. */
let pair: string;

beforeAll(async () => {
  account = await modelStudioAccount(t.client);
  programUser = await createUser(t.client, account.token, uniqueName('partner-program'));
  await attachPolicy(t.client, account.token, programUser.id, 'AliyunBailianControlFullAccess');
  const created = await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
    CREATE_PAIR,
    { p: programUser.id },
    account.token,
  );
  pair = `${created.createAccessKey.accessKey.id}:${created.createAccessKey.secret}`;
});

/** A request the program makes: with the pair and nothing else. */
const asProgram = <T>(query: string, variables: Record<string, unknown> = {}) => t.client.request<T>(query, variables, { token: pair });
const okAsProgram = async <T>(query: string, variables: Record<string, unknown> = {}) => dataOf(await asProgram<T>(query, variables));

describe('a program with an AccessKey pair of an AliyunBailianControlFullAccess user', () => {
  let workspaceId: string;
  let member: TestUser;
  let apiKey: { id: string; secret: string };

  it('acts as the user, with the user policies, through the pair', async () => {
    const viewer = (
      await okAsProgram<{
        viewer: { credential: string; principal: { id: string }; policies: string[]; isSuperAdministrator: boolean };
      }>(`{ viewer { credential principal { id } policies isSuperAdministrator } }`)
    ).viewer;
    expect(viewer).toEqual({
      credential: 'ACCESS_KEY',
      principal: { id: programUser.id },
      policies: ['AliyunBailianControlFullAccess'],
      isSuperAdministrator: false,
    });
  });

  it('creates a workspace', async () => {
    const created = (
      await okAsProgram<{ createWorkspace: { id: string; region: string; kind: string } }>(
        `mutation($n: String!) { createWorkspace(input: { name: $n, region: CN_BEIJING }) { id region kind } }`,
        { n: uniqueName('partner-ws') },
      )
    ).createWorkspace;
    expect(created).toMatchObject({ region: 'CN_BEIJING', kind: 'SUB' });
    workspaceId = created.id;
    const [event] = await auditEvents(t.client, account.token, { action: 'createWorkspace', resourceId: workspaceId });
    expect(event).toMatchObject({ actorId: programUser.id, via: 'ACCESS_KEY', outcome: 'SUCCESS' });
  });

  it('registers a RAM user in Model Studio and adds it as a member with API_KEY', async () => {
    member = await createUser(t.client, account.token, uniqueName('member'));
    await okAsProgram(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: member.id });
    const membership = (
      await okAsProgram<{ setMemberPermissions: { pages: string[]; principal: { id: string } } }>(
        `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [API_KEY] }) { pages principal { id } } }`,
        { w: workspaceId, p: member.id },
      )
    ).setMemberPermissions;
    expect(membership).toEqual({ pages: ['API_KEY'], principal: { id: member.id } });
    expect(await pagesOf(t.client, account.token, workspaceId, member.id)).toEqual(['API_KEY']);
  });

  it('creates an API key owned by the member and reads its owner back', async () => {
    const created = (
      await okAsProgram<{ createApiKey: { secret: string; apiKey: { id: string; owner: { id: string }; workspace: { id: string } } } }>(
        `mutation($w: ID!, $o: ID!) { createApiKey(input: { workspaceId: $w, ownerId: $o, description: "for the member" }) {
          secret apiKey { id owner { id } workspace { id } } } }`,
        { w: workspaceId, o: member.id },
      )
    ).createApiKey;
    expect(created.secret).toMatch(/^sk-/);
    expect(created.apiKey).toMatchObject({ owner: { id: member.id }, workspace: { id: workspaceId } });
    apiKey = { id: created.apiKey.id, secret: created.secret };

    const read = await okAsProgram<{ node: { id: string; owner: { id: string; kind: string }; description: string } | null }>(
      `query($id: ID!) { node(id: $id) { ... on ApiKey { id owner { id kind } description } } }`,
      { id: apiKey.id },
    );
    expect(defined(read.node, 'the API key read by the program')).toEqual({
      id: apiKey.id,
      owner: { id: member.id, kind: 'RAM_USER' },
      description: 'for the member',
    });
    // The key authenticates: the model is simply not authorized in the new workspace.
    expect(await modelCall(t.client, apiKey.secret, MODEL)).toBe('MODEL_NOT_AUTHORIZED');
  });

  it('is refused model authorization (FORBIDDEN), and nothing changes', async () => {
    const before = await accountFingerprint(t.database.db, account.accountId);
    const authorizationsBefore = await modelAuthorizations(t.client, account.token, workspaceId);
    const result = await asProgram<{ setModelAuthorization: unknown }>(SET_MODEL_AUTHORIZATION, {
      w: workspaceId,
      m: MODEL,
      i: true,
      f: null,
      d: null,
    });
    expectError(result, 'FORBIDDEN');
    expect(result.data?.setModelAuthorization ?? null).toBeNull();
    expectError(
      await asProgram(`mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: OPEN }) { id } }`, { w: workspaceId }),
      'FORBIDDEN',
    );
    expect(await accountFingerprint(t.database.db, account.accountId)).toEqual(before);
    expect(await modelAuthorizations(t.client, account.token, workspaceId)).toEqual(authorizationsBefore);
    expect(await modelCall(t.client, apiKey.secret, MODEL)).toBe('MODEL_NOT_AUTHORIZED');
  });

  it('is refused RAM identity administration, as its user is (FORBIDDEN)', async () => {
    const before = await accountFingerprint(t.database.db, account.accountId);
    expectError(
      await asProgram(
        `mutation($n: String!) { createRamUser(input: { name: $n, displayName: "x", password: "correct horse battery staple" }) { id } }`,
        {
          n: uniqueName('by-program'),
        },
      ),
      'FORBIDDEN',
    );
    expectError(await asProgram(CREATE_PAIR, { p: member.id }), 'FORBIDDEN');
    expect(await accountFingerprint(t.database.db, account.accountId)).toEqual(before);
  });
});

describe('assumeRole from an AccessKey pair, like STS', () => {
  const ASSUME = `mutation($id: ID!, $d: Int) { assumeRole(roleId: $id, durationSeconds: $d) { token expiresAt principal { id kind } } }`;
  type AssumeData = { assumeRole: { token: string; expiresAt: string; principal: { id: string; kind: string } } };
  let role: TestRole;

  beforeAll(async () => {
    role = await createRole(t.client, account.token, [programUser.id], uniqueName('partner-role'));
    await attachPolicy(t.client, account.token, role.id, 'AliyunBailianControlReadOnlyAccess');
  });

  it.each([900, 43_200])('durationSeconds %i: a working role session expiring about that many seconds from now', async (seconds) => {
    const before = Date.now();
    const session = (await okAsProgram<AssumeData>(ASSUME, { id: role.id, d: seconds })).assumeRole;
    const after = Date.now();
    expect(session.principal).toEqual({ id: role.id, kind: 'RAM_ROLE' });
    const expiresAt = Date.parse(session.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + seconds * 1000 - 5_000);
    expect(expiresAt).toBeLessThanOrEqual(after + seconds * 1000 + 5_000);

    const viewer = await t.client.ok<{
      viewer: { credential: string; principal: { id: string }; assumedBy: { id: string } | null; policies: string[] };
    }>(`{ viewer { credential principal { id } assumedBy { id } policies } }`, {}, session.token);
    expect(viewer.viewer).toEqual({
      credential: 'SESSION',
      principal: { id: role.id },
      assumedBy: { id: programUser.id },
      policies: ['AliyunBailianControlReadOnlyAccess'],
    });
    const [event] = await auditEvents(t.client, account.token, { action: 'assumeRole', resourceId: role.id }, 1);
    expect(event).toMatchObject({ actorId: programUser.id, via: 'ACCESS_KEY', outcome: 'SUCCESS' });
  });

  it.each([899, 43_201, 0, -900])('durationSeconds %i: BAD_USER_INPUT, no session', async (seconds) => {
    const result = await asProgram<AssumeData>(ASSUME, { id: role.id, d: seconds });
    expectError(result, 'BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.field).toBe('durationSeconds');
    expect(result.data?.assumeRole ?? null).toBeNull();
  });

  it('a role that does not trust the user: FORBIDDEN', async () => {
    const stranger = await createRole(t.client, account.token, [], uniqueName('untrusting'));
    const result = await asProgram<AssumeData>(ASSUME, { id: stranger.id, d: 900 });
    expectError(result, 'FORBIDDEN');
    expect(result.data?.assumeRole ?? null).toBeNull();
  });
});
