import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import { firstError, outcomeOf } from '../helpers/graphql-client.js';
import {
  CREATE_KNOWLEDGE_BASE,
  KNOWLEDGE_BASES,
  type KnowledgeBasesData,
  SET_MEMBER_PERMISSIONS,
  createKnowledgeBase,
  expectError,
  modelStudioAccount,
  modelStudioUser,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/**
 * docs/permission-matrix.md rows 22/23 for FA: an AliyunBailianFullAccess holder is not a member,
 * so it holds no data permission in W until it adds itself (row 10 allows that).
 */
describe('AliyunBailianFullAccess self-grant of membership', () => {
  let account: ModelStudioAccount;
  let fa: TestUser;
  let rootKb: string;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    fa = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
    rootKb = await createKnowledgeBase(t.client, account.token, account.W, 'root-kb');
  });

  const kbNames = async (token: string) => {
    const data = await t.client.ok<KnowledgeBasesData>(KNOWLEDGE_BASES, { w: account.W }, token);
    return data.workspace.knowledgeBases.edges.map((e) => e.node.name).sort((a, b) => a.localeCompare(b));
  };

  it('before: createKnowledgeBase in W is FORBIDDEN and creates nothing', async () => {
    const result = await t.client.request<{ createKnowledgeBase: { id: string } | null }>(
      CREATE_KNOWLEDGE_BASE,
      { w: account.W, n: 'fa-before' },
      { token: fa.token },
    );
    expectError(result, 'FORBIDDEN');
    expect(result.data?.createKnowledgeBase ?? null).toBeNull();
    expect(await kbNames(account.token)).toEqual(['root-kb']);
  });

  it('before: W is readable (management view) but its knowledgeBases are FORBIDDEN at their path', async () => {
    // A partial answer: the workspace is served, its knowledgeBases are not.
    type PartialKnowledgeBases = {
      workspace: { id: string; knowledgeBases: KnowledgeBasesData['workspace']['knowledgeBases'] | null } | null;
    };
    const result = await t.client.request<PartialKnowledgeBases>(KNOWLEDGE_BASES, { w: account.W }, { token: fa.token });
    expect(result.data?.workspace?.id).toBe(account.W);
    expect(result.data?.workspace?.knowledgeBases).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(firstError(result).path).toEqual(['workspace', 'knowledgeBases']);
    expect(outcomeOf(result)).toBe('FORBIDDEN');
  });

  it('before: deleteKnowledgeBase of W is FORBIDDEN and the knowledge base stays', async () => {
    const result = await t.client.request(
      `mutation($id: ID!) { deleteKnowledgeBase(id: $id) { id } }`,
      { id: rootKb },
      { token: fa.token },
    );
    expectError(result, 'FORBIDDEN');
    expect(await kbNames(account.token)).toEqual(['root-kb']);
  });

  it('adds itself as a member of W (no page permission at all)', async () => {
    const data = await t.client.ok<{ setMemberPermissions: unknown }>(
      SET_MEMBER_PERMISSIONS,
      { w: account.W, p: fa.id, pages: [] },
      fa.token,
    );
    expect(data.setMemberPermissions).toMatchObject({ pages: [], principal: { id: fa.id }, role: 'SUPER_ADMINISTRATOR' });
    const me = await t.client.ok<{ viewer: { memberships: unknown } }>(
      `{ viewer { memberships { workspace { id } pages } } }`,
      {},
      fa.token,
    );
    expect(me.viewer.memberships).toEqual([{ workspace: { id: account.W }, pages: [] }]);
  });

  it("after: reads W's knowledge bases and creates and deletes one", async () => {
    expect(await kbNames(fa.token)).toEqual(['root-kb']);
    const kb = await createKnowledgeBase(t.client, fa.token, account.W, 'fa-after');
    expect(await kbNames(fa.token)).toEqual(['fa-after', 'root-kb']);
    await t.client.ok(`mutation($id: ID!) { deleteKnowledgeBase(id: $id) { id } }`, { id: kb }, fa.token);
    expect(await kbNames(account.token)).toEqual(['root-kb']);
  });

  it('membership of W gives nothing in another sub-workspace W2', async () => {
    const w2 = (
      await t.client.ok<{ createWorkspace: { id: string } }>(
        `mutation { createWorkspace(input: { name: "W2", region: CN_BEIJING }) { id } }`,
        {},
        account.token,
      )
    ).createWorkspace.id;
    const result = await t.client.request(CREATE_KNOWLEDGE_BASE, { w: w2, n: 'fa-w2' }, { token: fa.token });
    expectError(result, 'FORBIDDEN');
  });
});

/**
 * The same path for the other management policies: whether they may add themselves (row 10),
 * and what membership then gives them (rows 22/23: reading needs membership only; writing
 * needs a data policy, ADMINISTRATOR or the KNOWLEDGE_BASE page).
 */
describe('self-grant by other management policies', () => {
  let account: ModelStudioAccount;
  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await createKnowledgeBase(t.client, account.token, account.W, 'root-kb');
  });

  it.each([
    // policy, pages it gives itself, may it add itself, then: read, create
    ['AliyunBailianControlFullAccess', [], 'OK', 'OK', 'FORBIDDEN'],
    ['AliyunBailianControlFullAccess', ['KNOWLEDGE_BASE'], 'OK', 'OK', 'OK'],
    ['AliyunBailianControlReadOnlyAccess', [], 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    ['AliyunBailianReadOnlyAccess', [], 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    ['AliyunBailianDataFullAccess', [], 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    ['AliyunRAMFullAccess', [], 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
  ] as const)('%s giving itself %j: add itself %s, then read %s, create %s', async (policy, pages, add, read, create) => {
    const user = await modelStudioUser(t.client, account, { policies: [policy] });
    const kbCode = async () =>
      outcomeOf(await t.client.request(CREATE_KNOWLEDGE_BASE, { w: account.W, n: `kb-${user.name}` }, { token: user.token }));
    expect(await kbCode()).toBe('FORBIDDEN');

    expect(outcomeOf(await t.client.request(SET_MEMBER_PERMISSIONS, { w: account.W, p: user.id, pages }, { token: user.token }))).toBe(add);
    const reading = await t.client.request<KnowledgeBasesData>(KNOWLEDGE_BASES, { w: account.W }, { token: user.token });
    expect(outcomeOf(reading)).toBe(read);
    if (read === 'OK') expect(reading.data?.workspace.knowledgeBases.edges.map((e) => e.node.name)).toContain('root-kb');
    expect(await kbCode()).toBe(create);
  });
});
