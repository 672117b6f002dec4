import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import { dataOf, outcomeOf } from '../helpers/graphql-client.js';
import {
  CREATE_API_KEY,
  apiKeyIds,
  createKey,
  createWorkspace,
  deleteKey,
  expectError,
  modelStudioAccount,
  modelStudioUser,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const t = gatewayForThisFile();

const createKeyRequest = (token: string, workspaceId: string, description = '') =>
  t.client.request<{ createApiKey: { secret: string; apiKey: { id: string } } | null }>(
    CREATE_API_KEY,
    { w: workspaceId, scope: [], ips: [], d: description },
    { token },
  );

/** docs/domain.md: at most 20 keys per workspace, whoever owns them; deleting one frees its slot. */
describe('the 20-key limit per workspace', () => {
  let account: ModelStudioAccount;
  let keyManager: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    keyManager = await modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] });
  });

  it('20 keys of two owners fill W; the 21st is CONFLICT and creates nothing', async () => {
    for (let i = 0; i < 20; i++) await createKey(t.client, i % 2 ? account.token : keyManager.token, account.W, { description: `k${i}` });
    const before = await apiKeyIds(t.client, account.token, account.W);
    expect(before).toHaveLength(20);
    for (const token of [account.token, keyManager.token]) {
      const result = await createKeyRequest(token, account.W, 'one too many');
      expectError(result, 'CONFLICT');
      expect(result.data?.createApiKey ?? null).toBeNull();
    }
    expect(await apiKeyIds(t.client, account.token, account.W)).toEqual(before);
  });

  it('the limit is per workspace: W2 and D still take keys while W is full', async () => {
    const w2 = await createWorkspace(t.client, account.token, 'W2');
    await createKey(t.client, account.token, w2);
    await createKey(t.client, account.token, account.D);
  });

  it('deleting one key frees exactly one slot', async () => {
    const [first] = await apiKeyIds(t.client, account.token, account.W);
    await deleteKey(t.client, account.token, defined(first, 'a key of W'));
    expect(await apiKeyIds(t.client, account.token, account.W)).toHaveLength(19);
    expect(outcomeOf(await createKeyRequest(keyManager.token, account.W, 'takes the freed slot'))).toBe('OK');
    expectError(await createKeyRequest(account.token, account.W), 'CONFLICT');
    expect(await apiKeyIds(t.client, account.token, account.W)).toHaveLength(20);
  });

  it.each([
    ['one after the other', false],
    ['concurrently', true],
  ])('deleting a key twice (%s) frees only one slot', async (_case, concurrent) => {
    const [first] = await apiKeyIds(t.client, account.token, account.W);
    const remove = () => t.client.request(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: first }, { token: account.token });
    const results = concurrent ? await Promise.all([remove(), remove()]) : [await remove(), await remove()];
    expect(results.map(outcomeOf).filter((o) => o === 'OK')).toHaveLength(1);
    expect(results.map(outcomeOf).filter((o) => o !== 'OK')).toHaveLength(1);
    expect(outcomeOf(await createKeyRequest(account.token, account.W))).toBe('OK');
    expectError(await createKeyRequest(account.token, account.W), 'CONFLICT');
    expect(await apiKeyIds(t.client, account.token, account.W)).toHaveLength(20);
  });

  it('10 concurrent createApiKey at 15 keys: exactly 5 succeed, W ends with 20', async () => {
    const w3 = await createWorkspace(t.client, account.token, 'W3');
    for (let i = 0; i < 15; i++) await createKey(t.client, account.token, w3);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => createKeyRequest(account.token, w3, `race-${i}`)));
    const outcomes = results.map(outcomeOf);
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'CONFLICT')).toHaveLength(5);
    const ids = await apiKeyIds(t.client, account.token, w3);
    expect(ids).toHaveLength(20);
    const winners = results.filter((r) => outcomeOf(r) === 'OK').map((r) => defined(dataOf(r).createApiKey, 'a created key').apiKey.id);
    expect(ids).toEqual(expect.arrayContaining(winners));
    expectError(await createKeyRequest(account.token, w3), 'CONFLICT');
  });

  it('concurrent deletions and creations at the limit keep the count at most 20', async () => {
    const w4 = await createWorkspace(t.client, account.token, 'W4');
    const keys = [];
    for (let i = 0; i < 20; i++) keys.push(await createKey(t.client, account.token, w4));
    const deletions = keys
      .slice(0, 3)
      .map((k) => t.client.request(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: k.id }, { token: account.token }));
    const creations = Array.from({ length: 6 }, () => createKeyRequest(account.token, w4));
    const results = await Promise.all([...deletions, ...creations]);
    expect(results.slice(0, 3).map(outcomeOf)).toEqual(['OK', 'OK', 'OK']);
    const created = results.slice(3).filter((r) => outcomeOf(r) === 'OK').length;
    expect(results.slice(3).every((r) => ['OK', 'CONFLICT'].includes(outcomeOf(r)))).toBe(true);
    const live = await apiKeyIds(t.client, account.token, w4);
    expect(live).toHaveLength(17 + created);
    expect(live.length).toBeLessThanOrEqual(20);
    // Whatever the interleaving, the slots add up: fill the rest and meet the limit exactly at 20.
    for (let i = live.length; i < 20; i++) expect(outcomeOf(await createKeyRequest(account.token, w4))).toBe('OK');
    expectError(await createKeyRequest(account.token, w4), 'CONFLICT');
  });
});
