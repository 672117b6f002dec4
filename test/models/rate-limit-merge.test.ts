import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/fixtures.js';
import { dataOf, errorCode, firstError } from '../helpers/graphql-client.js';
import {
  auditEvents,
  createKey,
  createWorkspace,
  expectError,
  modelStudioAccount,
  modelStudioUser,
  tableDigest,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

interface Limits {
  requestLimit: number | null;
  requestLimitPeriodSeconds: number | null;
  usageLimit: number | null;
  usageLimitPeriodSeconds: number | null;
}

/** Only the fields named in `limits` are sent: an absent key is an absent input field, `null` an explicit null. */
const SET = (fields: string[]) => `mutation($w: ID!, $m: ID!${fields.map((f) => `, $${f}: Int`).join('')}) {
  setModelRateLimit(input: { workspaceId: $w, model: $m${fields.map((f) => `, ${f}: $${f}`).join('')} }) {
    requestLimit requestLimitPeriodSeconds usageLimit usageLimitPeriodSeconds
  }
}`;

const setLimits = (token: string, workspaceId: string, model: string, limits: Partial<Limits>) =>
  t.client.request<{ setModelRateLimit: Limits | null }>(SET(Object.keys(limits)), { w: workspaceId, m: model, ...limits }, { token });

/** The same with the values written in the document (literal null), not as variables. */
const setLiteral = (token: string, workspaceId: string, model: string, fields: string) =>
  t.client.request<{ setModelRateLimit: Limits | null }>(
    `mutation($w: ID!, $m: ID!) { setModelRateLimit(input: { workspaceId: $w, model: $m, ${fields} }) {
      requestLimit requestLimitPeriodSeconds usageLimit usageLimitPeriodSeconds } }`,
    { w: workspaceId, m: model },
    { token },
  );

/** The stored limits of (workspace, model) as `workspace.rateLimits` shows them, or null. */
async function stored(token: string, workspaceId: string, model: string): Promise<Limits | null> {
  const data = await t.client.ok<{
    workspace: { rateLimits: { edges: Array<{ node: Limits & { model: { id: string } } }> } };
  }>(
    `query($w: ID!) { workspace(id: $w) { rateLimits(first: 100) { edges { node {
      model { id } requestLimit requestLimitPeriodSeconds usageLimit usageLimitPeriodSeconds } } } } }`,
    { w: workspaceId },
    token,
  );
  const node = data.workspace.rateLimits.edges.find((e) => e.node.model.id === model)?.node;
  if (!node) return null;
  const { model: _model, ...limits } = node;
  return limits;
}

/** The spec's "Additions": setModelRateLimit merges; an absent limit is unchanged, an explicit null clears it. */
describe('setModelRateLimit merges into the stored rate limit', () => {
  let account: ModelStudioAccount;
  let fullAccess: TestUser;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    fullAccess = await modelStudioUser(t.client, account, { policies: ['AliyunBailianFullAccess'] });
  });

  it('set both, change one side of one pair, clear a pair with null, refuse half pairs and clearing everything', async () => {
    const w = await createWorkspace(t.client, account.token);
    const m = 'qwen-plus';
    const both = { requestLimit: 100, requestLimitPeriodSeconds: 60, usageLimit: 50_000, usageLimitPeriodSeconds: 3600 };
    expect(dataOf(await setLimits(account.token, w, m, both)).setModelRateLimit).toEqual(both);

    // Only requestLimit: its period and the usage pair are kept.
    const raised = dataOf(await setLimits(fullAccess.token, w, m, { requestLimit: 200 })).setModelRateLimit;
    expect(raised).toEqual({ ...both, requestLimit: 200 });
    expect(await stored(account.token, w, m)).toEqual({ ...both, requestLimit: 200 });

    // Explicit null on the usage pair clears it; the request pair is kept.
    const cleared = dataOf(await setLimits(account.token, w, m, { usageLimit: null, usageLimitPeriodSeconds: null })).setModelRateLimit;
    const requestOnly = { requestLimit: 200, requestLimitPeriodSeconds: 60, usageLimit: null, usageLimitPeriodSeconds: null };
    expect(cleared).toEqual(requestOnly);
    expect(await stored(account.token, w, m)).toEqual(requestOnly);

    const refusedWithNothingChanged = async (result: Awaited<ReturnType<typeof setLimits>>, field: string) => {
      expectError(result, 'BAD_USER_INPUT', field);
      expect(await stored(account.token, w, m)).toEqual(requestOnly);
    };
    // Half a pair, the other side not stored.
    await refusedWithNothingChanged(await setLimits(account.token, w, m, { usageLimit: 10 }), 'input.usageLimitPeriodSeconds');
    await refusedWithNothingChanged(await setLimits(account.token, w, m, { usageLimitPeriodSeconds: 10 }), 'input.usageLimit');
    // Half a pair cleared, the other side stored.
    await refusedWithNothingChanged(await setLimits(account.token, w, m, { requestLimit: null }), 'input.requestLimit');
    await refusedWithNothingChanged(
      await setLimits(account.token, w, m, { requestLimit: 5, requestLimitPeriodSeconds: null }),
      'input.requestLimitPeriodSeconds',
    );
    // Clearing the last pair would leave no limit: deleteModelRateLimit is the way.
    const everything = await setLimits(account.token, w, m, { requestLimit: null, requestLimitPeriodSeconds: null });
    await refusedWithNothingChanged(everything, 'input');
    expect(firstError(everything).message).toContain('deleteModelRateLimit');
    // Nothing to change at all.
    await refusedWithNothingChanged(await setLimits(account.token, w, m, {}), 'input');
    // Out of range values, whatever is stored.
    await refusedWithNothingChanged(await setLimits(account.token, w, m, { requestLimit: 0 }), 'input.requestLimit');
    await refusedWithNothingChanged(
      await setLimits(account.token, w, m, { requestLimitPeriodSeconds: 31_536_001 }),
      'input.requestLimitPeriodSeconds',
    );

    // Both pairs swapped in one call: the request pair cleared, the usage pair set.
    const swapped = { requestLimit: null, requestLimitPeriodSeconds: null, usageLimit: 7, usageLimitPeriodSeconds: 70 };
    expect(dataOf(await setLimits(account.token, w, m, swapped)).setModelRateLimit).toEqual(swapped);
    // The same merge with literal nulls in the document, and an absent pair kept.
    const literal = await setLiteral(
      account.token,
      w,
      m,
      'requestLimit: 3, requestLimitPeriodSeconds: 30, usageLimit: null, usageLimitPeriodSeconds: null',
    );
    expect(dataOf(literal).setModelRateLimit).toEqual({
      requestLimit: 3,
      requestLimitPeriodSeconds: 30,
      usageLimit: null,
      usageLimitPeriodSeconds: null,
    });
    expect(dataOf(await setLiteral(account.token, w, m, 'usageLimitPeriodSeconds: 99, usageLimit: 9')).setModelRateLimit).toEqual({
      requestLimit: 3,
      requestLimitPeriodSeconds: 30,
      usageLimit: 9,
      usageLimitPeriodSeconds: 99,
    });
  });

  it('a first rate limit needs complete pairs: half a pair with nothing stored is refused and stores nothing', async () => {
    const w = await createWorkspace(t.client, account.token);
    expectError(await setLimits(account.token, w, 'qwen-max', { requestLimit: 10 }), 'BAD_USER_INPUT', 'input.requestLimitPeriodSeconds');
    expectError(
      await setLimits(account.token, w, 'qwen-max', { requestLimit: null, requestLimitPeriodSeconds: null }),
      'BAD_USER_INPUT',
      'input',
    );
    expect(await stored(account.token, w, 'qwen-max')).toBeNull();
    const first = dataOf(await setLimits(account.token, w, 'qwen-max', { usageLimit: 10, usageLimitPeriodSeconds: 60 })).setModelRateLimit;
    expect(first).toEqual({ requestLimit: null, requestLimitPeriodSeconds: null, usageLimit: 10, usageLimitPeriodSeconds: 60 });
  });

  it('concurrent merges of different pairs into a new rate limit lose neither', async () => {
    for (let round = 0; round < 3; round++) {
      const w = await createWorkspace(t.client, account.token);
      const [a, b] = await Promise.all([
        setLimits(account.token, w, 'qwen-turbo', { requestLimit: 11, requestLimitPeriodSeconds: 60 }),
        setLimits(fullAccess.token, w, 'qwen-turbo', { usageLimit: 22, usageLimitPeriodSeconds: 120 }),
      ]);
      dataOf(a);
      dataOf(b);
      expect(await stored(account.token, w, 'qwen-turbo')).toEqual({
        requestLimit: 11,
        requestLimitPeriodSeconds: 60,
        usageLimit: 22,
        usageLimitPeriodSeconds: 120,
      });
    }
  });

  it('each successful merge is audited once; refused ones are not', async () => {
    const w = await createWorkspace(t.client, account.token);
    dataOf(await setLimits(account.token, w, 'deepseek-r1', { requestLimit: 1, requestLimitPeriodSeconds: 1 }));
    dataOf(await setLimits(account.token, w, 'deepseek-r1', { requestLimit: 2 }));
    expectError(await setLimits(account.token, w, 'deepseek-r1', { usageLimit: 2 }), 'BAD_USER_INPUT');
    const events = await auditEvents(t.client, account.token, { action: 'setModelRateLimit', resourceId: w, outcome: 'SUCCESS' });
    expect(events).toHaveLength(2);
  });

  describe('denied callers change nothing', () => {
    let w: string;
    let before: string;
    const m = 'qwen-vl-max';

    beforeAll(async () => {
      w = await createWorkspace(t.client, account.token);
      dataOf(
        await setLimits(account.token, w, m, {
          requestLimit: 5,
          requestLimitPeriodSeconds: 60,
          usageLimit: 500,
          usageLimitPeriodSeconds: 60,
        }),
      );
      before = await tableDigest(t.database.db, 'model_rate_limit', sql`workspace_id = ${w}`);
    });

    const attempts: Array<[string, Partial<Limits>]> = [
      ['raise one side', { requestLimit: 1000 }],
      ['clear a pair', { usageLimit: null, usageLimitPeriodSeconds: null }],
    ];

    it.each(attempts)('a workspace ADMINISTRATOR without policy (%s): FORBIDDEN', async (_what, limits) => {
      const administrator = await modelStudioUser(t.client, account, { workspaceId: w, pages: ['ADMINISTRATOR'] });
      const result = await setLimits(administrator.token, w, m, limits);
      expect(errorCode(result)).toBe('FORBIDDEN');
      expect(await tableDigest(t.database.db, 'model_rate_limit', sql`workspace_id = ${w}`)).toBe(before);
    });

    it.each(attempts)('an API key of the workspace (%s): FORBIDDEN', async (_what, limits) => {
      const key = await createKey(t.client, account.token, w);
      const result = await setLimits(key.secret, w, m, limits);
      expect(errorCode(result)).toBe('FORBIDDEN');
      expect(await tableDigest(t.database.db, 'model_rate_limit', sql`workspace_id = ${w}`)).toBe(before);
    });

    it.each(attempts)('another account naming the workspace (%s): NOT_FOUND', async (_what, limits) => {
      const other = await modelStudioAccount(t.client);
      const result = await setLimits(other.token, w, m, limits);
      expect(errorCode(result)).toBe('NOT_FOUND');
      expect(await tableDigest(t.database.db, 'model_rate_limit', sql`workspace_id = ${w}`)).toBe(before);
    });
  });
});
