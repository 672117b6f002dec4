import { beforeAll, describe, expect, it } from 'vitest';
import { firstError, outcomeOf } from '../helpers/graphql-client.js';
import {
  CREATE_KNOWLEDGE_BASE,
  KNOWLEDGE_BASES,
  type KnowledgeBasesData,
  createKnowledgeBase,
  createWorkspace,
  expectError,
  modelStudioAccount,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/** schema: knowledge base names are 1-64 characters, unique within the workspace. */
describe('knowledge base names', () => {
  let account: ModelStudioAccount;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await createKnowledgeBase(t.client, account.token, account.W, 'manuals');
  });

  const names = async (workspaceId: string) =>
    (await t.client.ok<KnowledgeBasesData>(KNOWLEDGE_BASES, { w: workspaceId }, account.token)).workspace.knowledgeBases.edges
      .map((e) => e.node.name)
      .sort((a, b) => a.localeCompare(b));

  it('a duplicate name in the same workspace is CONFLICT naming input.name and creates nothing', async () => {
    const result = await t.client.request(CREATE_KNOWLEDGE_BASE, { w: account.W, n: 'manuals' }, { token: account.token });
    expectError(result, 'CONFLICT');
    expect(firstError(result).extensions?.field).toBe('input.name');
    expect(await names(account.W)).toEqual(['manuals']);
  });

  it('the same name in another workspace is fine', async () => {
    const w2 = await createWorkspace(t.client, account.token, 'W2');
    await createKnowledgeBase(t.client, account.token, w2, 'manuals');
    await createKnowledgeBase(t.client, account.token, account.D, 'manuals');
    expect(await names(w2)).toEqual(['manuals']);
  });

  it('a deleted name can be used again', async () => {
    const id = await createKnowledgeBase(t.client, account.token, account.W, 'scratch');
    await t.client.ok(`mutation($id: ID!) { deleteKnowledgeBase(id: $id) { id } }`, { id }, account.token);
    await createKnowledgeBase(t.client, account.token, account.W, 'scratch');
    expect(await names(account.W)).toEqual(['manuals', 'scratch']);
  });

  it('concurrent creations with one name: exactly one succeeds, the others are CONFLICT', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => t.client.request(CREATE_KNOWLEDGE_BASE, { w: account.W, n: 'contested' }, { token: account.token })),
    );
    expect(results.map(outcomeOf).sort()).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'OK']);
    expect((await names(account.W)).filter((n: string) => n === 'contested')).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['65 characters', 'k'.repeat(65)],
  ])('a %s name is BAD_USER_INPUT naming input.name', async (_case, name) => {
    const before = await names(account.W);
    expectError(
      await t.client.request(CREATE_KNOWLEDGE_BASE, { w: account.W, n: name }, { token: account.token }),
      'BAD_USER_INPUT',
      'input.name',
    );
    expect(await names(account.W)).toEqual(before);
  });
});
