import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { defined } from '../helpers/assertions.js';
import { dataOf, outcomeOf } from '../helpers/graphql-client.js';
import {
  auditEvents,
  authorizeModel,
  createKey,
  expectError,
  modelStudioAccount,
  modelStudioUser,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import {
  SET_WORKSPACE_BUDGET,
  allowedCallId,
  authorizeCall,
  decided,
  enforcedWorkspace,
  isolatedGateway,
  recordUsage,
  recorded,
  setBudget,
  setRateLimit,
  sleep,
  tally,
  within,
  type BudgetView,
} from './support.js';

/** Illustrative prices of the migration (per million tokens, USD). */
const PRICES = { 'qwen-max': { input: 1.6, output: 6.4 }, 'qwen-plus': { input: 0.4, output: 1.2 } } as const;
const costOf = (model: keyof typeof PRICES, input: number, output: number) =>
  (input * PRICES[model].input + output * PRICES[model].output) / 1_000_000;

const byText = (a: string, b: string) => a.localeCompare(b);

const MODEL_ACCESS = `query($m: ID!) { modelAccess(model: $m) { allowed reason } }`;

const BUDGET = `query($w: ID!) { workspace(id: $w) { budget { monthlyLimit spentThisMonth resetsAt } } }`;
const USAGE = `query($w: ID!, $since: DateTime!, $until: DateTime!, $g: UsageGrouping) {
  workspace(id: $w) { usage(since: $since, until: $until, groupBy: $g) { key calls inputTokens outputTokens cost } }
}`;
interface Bucket {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

/**
 * Issue #12: authorizeModelCall decides like modelAccess and counts the (workspace, model)
 * window in the same step; recordModelUsage feeds the token window and the workspace's budget.
 * The same cases run with the counters in the database (PGlite or PostgreSQL) and in Redis.
 */
describe.each<[string, Partial<Config>]>([
  ['database', {}],
  ['redis', { redisUrl: 'redis://127.0.0.1:6379' }],
])('authorizeModelCall with the counters in the %s', (_store, overrides) => {
  const t = gatewayForThisFile(overrides);
  let account: ModelStudioAccount;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
  });

  it('modelAccess consumes nothing of the request window', async () => {
    const { key } = await enforcedWorkspace(t.client, account, 'qwen-max', { requestLimit: 2, requestLimitPeriodSeconds: 60 });
    for (let i = 0; i < 5; i++) {
      const access = await t.client.request<{ modelAccess: { reason: string } }>(MODEL_ACCESS, { m: 'qwen-max' }, { token: key.secret });
      expect(dataOf(access).modelAccess.reason).toBe('ALLOWED');
    }
    const first = await decided(t.client, key.secret, 'qwen-max');
    expect(first).toMatchObject({ allowed: true, reason: 'ALLOWED', retryAfterSeconds: null, rateLimit: { limit: 2, remaining: 1 } });
    const second = await decided(t.client, key.secret, 'qwen-max');
    expect(second).toMatchObject({ allowed: true, rateLimit: { limit: 2, remaining: 0 } });
    const third = await decided(t.client, key.secret, 'qwen-max');
    expect(third).toMatchObject({ allowed: false, reason: 'RATE_LIMITED', callId: null, rateLimit: { limit: 2, remaining: 0 } });
    expect(third.retryAfterSeconds).toBeGreaterThan(0);
    expect(third.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(Date.parse(defined(third.rateLimit, 'the window').resetAt)).toBeGreaterThan(Date.now());
  });

  it('20 concurrent calls against a request limit of 7 allow exactly 7', async () => {
    const { key } = await enforcedWorkspace(t.client, account, 'qwen-max', { requestLimit: 7, requestLimitPeriodSeconds: 60 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => authorizeCall(t.client, key.secret, 'qwen-max')));
    const { allowed, others } = tally(answers);
    expect(allowed).toHaveLength(7);
    expect(others).toEqual(Array(13).fill('RATE_LIMITED'));
    // Each allowed call left the window one request emptier: 6, 5, … 0 remaining, once each.
    expect(allowed.map((a) => a.rateLimit?.remaining ?? -1).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect((await decided(t.client, key.secret, 'qwen-max')).reason).toBe('RATE_LIMITED');
  });

  it('concurrent allowed calls get distinct callIds, each recorded once', async () => {
    const { key } = await enforcedWorkspace(t.client, account, 'qwen-max', null);
    const callIds = await Promise.all(Array.from({ length: 20 }, () => allowedCallId(t.client, key.secret, 'qwen-max')));
    expect(new Set(callIds).size, 'distinct callIds among 20 concurrent allowed calls').toBe(20);
    const results = await Promise.all(callIds.map((callId) => recordUsage(t.client, key.secret, callId, 1, 1)));
    expect(results.map(outcomeOf)).toEqual(Array(20).fill('OK'));
  });

  it('a window is full again once its period is over', async () => {
    const { key } = await enforcedWorkspace(t.client, account, 'qwen-max', { requestLimit: 2, requestLimitPeriodSeconds: 2 });
    await allowedCallId(t.client, key.secret, 'qwen-max');
    await allowedCallId(t.client, key.secret, 'qwen-max');
    const refused = await decided(t.client, key.secret, 'qwen-max');
    expect(refused.reason).toBe('RATE_LIMITED');
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(2);
    const resetAt = Date.parse(defined(refused.rateLimit, 'the window of a refused call').resetAt);
    expect(resetAt - Date.now()).toBeLessThanOrEqual(2_100);
    await sleep(Math.max(resetAt - Date.now(), 0) + 200);
    const again = await decided(t.client, key.secret, 'qwen-max');
    expect(again).toMatchObject({ allowed: true, rateLimit: { limit: 2, remaining: 1 } });
  });

  it("modelAccess's refusals (a model not authorized) consume nothing", async () => {
    const { workspaceId, key } = await enforcedWorkspace(t.client, account, 'qwen-max', { requestLimit: 2, requestLimitPeriodSeconds: 60 });
    await setRateLimit(t.client, account.token, workspaceId, 'qwen-plus', { requestLimit: 2, requestLimitPeriodSeconds: 60 });
    for (let i = 0; i < 5; i++) {
      const refused = await decided(t.client, key.secret, 'qwen-plus');
      expect(refused).toEqual({ allowed: false, reason: 'MODEL_NOT_AUTHORIZED', callId: null, retryAfterSeconds: null, rateLimit: null });
    }
    await authorizeModel(t.client, account.token, workspaceId, 'qwen-plus');
    expect(await decided(t.client, key.secret, 'qwen-plus')).toMatchObject({ allowed: true, rateLimit: { limit: 2, remaining: 1 } });
    expect(await decided(t.client, key.secret, 'qwen-plus')).toMatchObject({ allowed: true, rateLimit: { limit: 2, remaining: 0 } });
    expect((await decided(t.client, key.secret, 'qwen-plus')).reason).toBe('RATE_LIMITED');
    // qwen-max has a window of its own, untouched.
    expect(await decided(t.client, key.secret, 'qwen-max')).toMatchObject({ allowed: true, rateLimit: { remaining: 1 } });
  });

  it('a workspace past its budget is refused BUDGET_EXCEEDED until the budget is raised', async () => {
    const { workspaceId, key } = await enforcedWorkspace(t.client, account, 'qwen-max', null);
    expect(await setBudget(t.client, account.token, workspaceId, 0.0001)).toMatchObject({ monthlyLimit: 0.0001, spentThisMonth: 0 });
    const callId = await allowedCallId(t.client, key.secret, 'qwen-max');
    const usage = await recorded(t.client, key.secret, callId, 100, 0);
    expect(usage).toMatchObject({ callId, model: 'qwen-max', inputTokens: 100, outputTokens: 0 });
    expect(usage.cost).toBeCloseTo(costOf('qwen-max', 100, 0), 10);

    const refused = await decided(t.client, key.secret, 'qwen-max');
    expect(refused).toMatchObject({ allowed: false, reason: 'BUDGET_EXCEEDED', callId: null });
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil((nextMonth - now.getTime()) / 1000) + 1);

    const budget = await t.client.ok<{ workspace: { budget: BudgetView } }>(BUDGET, { w: workspaceId }, account.token);
    expect(budget.workspace.budget.monthlyLimit).toBe(0.0001);
    expect(budget.workspace.budget.spentThisMonth).toBeCloseTo(costOf('qwen-max', 100, 0), 10);
    expect(Date.parse(budget.workspace.budget.resetsAt)).toBe(nextMonth);

    await setBudget(t.client, account.token, workspaceId, 1);
    expect((await decided(t.client, key.secret, 'qwen-max')).reason).toBe('ALLOWED');
    // A zero budget stops every call; clearing the budget lifts it.
    await setBudget(t.client, account.token, workspaceId, 0);
    expect((await decided(t.client, key.secret, 'qwen-max')).reason).toBe('BUDGET_EXCEEDED');
    expect(await setBudget(t.client, account.token, workspaceId, null)).toBeNull();
    expect((await decided(t.client, key.secret, 'qwen-max')).reason).toBe('ALLOWED');
  });

  describe('recordModelUsage: once per call, and only by the key that was allowed it', () => {
    let workspaceId: string;
    let secret: string;
    beforeAll(async () => {
      ({
        workspaceId,
        key: { secret },
      } = await enforcedWorkspace(t.client, account, 'qwen-max', { requestLimit: 100, requestLimitPeriodSeconds: 60 }));
    });

    it('a replayed callId is BAD_USER_INPUT', async () => {
      const callId = await allowedCallId(t.client, secret, 'qwen-max');
      await recorded(t.client, secret, callId, 10, 10);
      expectError(await recordUsage(t.client, secret, callId, 10, 10), 'BAD_USER_INPUT', 'input.callId');
      expectError(await recordUsage(t.client, secret, callId, 0, 0), 'BAD_USER_INPUT', 'input.callId');
    });

    it("another key's callId is NOT_FOUND, even in the same workspace, and it can still be recorded by its own key", async () => {
      const other = await createKey(t.client, account.token, workspaceId);
      const callId = await allowedCallId(t.client, secret, 'qwen-max');
      expectError(await recordUsage(t.client, other.secret, callId, 10, 10), 'NOT_FOUND');
      await recorded(t.client, secret, callId, 10, 10);
    });

    it.each([
      ['made up', () => 'call_garbage'],
      ['not a call ID', () => 'not-a-call-id'],
      ['empty', () => ''],
    ])('a callId that is %s is NOT_FOUND', async (_what, callId) => {
      expectError(await recordUsage(t.client, secret, callId(), 10, 10), 'NOT_FOUND');
    });

    it('a callId whose claims or signature were altered is NOT_FOUND', async () => {
      const callId = await allowedCallId(t.client, secret, 'qwen-max');
      const [payload = '', mac = ''] = callId.slice('call_'.length).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
      const forgedPayload = Buffer.from(JSON.stringify([claims[0], claims[1], 'qwen-turbo', claims[3]])).toString('base64url');
      const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
      for (const forged of [`call_${forgedPayload}.${mac}`, `call_${payload}.${flipped}`, `call_${payload}`, `${callId}.extra`]) {
        expectError(await recordUsage(t.client, secret, forged, 10, 10), 'NOT_FOUND');
      }
      await recorded(t.client, secret, callId, 1, 1);
    });
  });

  describe('usage, budget and temporary keys', () => {
    let workspaceId: string;
    let keyA: { id: string; secret: string };
    let keyB: { id: string; secret: string };
    const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const until = new Date(Date.now() + 24 * 3600 * 1000).toISOString();

    beforeAll(async () => {
      ({ workspaceId, key: keyA } = await enforcedWorkspace(t.client, account, 'qwen-max', {
        requestLimit: 100,
        requestLimitPeriodSeconds: 60,
      }));
      await authorizeModel(t.client, account.token, workspaceId, 'qwen-plus');
      keyB = await createKey(t.client, account.token, workspaceId);
      await setBudget(t.client, account.token, workspaceId, 10);
    });

    it('a temporary key made from a key authorizes and records calls, counted as its parent', async () => {
      const temporary = await t.client.ok<{ createTemporaryApiKey: { secret: string; apiKeyId: string } }>(
        `mutation { createTemporaryApiKey(input: { expiresInSeconds: 60 }) { secret apiKeyId } }`,
        {},
        keyA.secret,
      );
      expect(temporary.createTemporaryApiKey.apiKeyId).toBe(keyA.id);
      const st = temporary.createTemporaryApiKey.secret;
      const answer = await decided(t.client, st, 'qwen-max');
      expect(answer).toMatchObject({ allowed: true, reason: 'ALLOWED', rateLimit: { limit: 100, remaining: 99 } });
      const usage = await recorded(t.client, st, defined(answer.callId, 'callId'), 100, 50);
      expect(usage.cost).toBeCloseTo(costOf('qwen-max', 100, 50), 10);
      // The parent key shares the window.
      expect(await decided(t.client, keyA.secret, 'qwen-max')).toMatchObject({ allowed: true, rateLimit: { remaining: 98 } });
    });

    it('Workspace.usage sums the recorded calls per model, key and day; Workspace.budget shows the spend', async () => {
      // With the temporary key's call above (key A, qwen-max, 100 + 50):
      await recorded(t.client, keyA.secret, await allowedCallId(t.client, keyA.secret, 'qwen-plus'), 10, 20);
      await recorded(t.client, keyB.secret, await allowedCallId(t.client, keyB.secret, 'qwen-max'), 1000, 0);
      // An allowed call never recorded counts nowhere.
      await allowedCallId(t.client, keyB.secret, 'qwen-plus');

      const usage = async (g: 'MODEL' | 'API_KEY' | 'DAY') =>
        (await t.client.ok<{ workspace: { usage: Bucket[] } }>(USAGE, { w: workspaceId, since, until, g }, account.token)).workspace.usage;
      const qwenMax = costOf('qwen-max', 100, 50) + costOf('qwen-max', 1000, 0);
      const qwenPlus = costOf('qwen-plus', 10, 20);

      const byModel = await usage('MODEL');
      expect(byModel.map((b) => b.key)).toEqual(['qwen-max', 'qwen-plus']);
      expect(byModel[0]).toMatchObject({ calls: 2, inputTokens: 1100, outputTokens: 50 });
      expect(byModel[0]?.cost).toBeCloseTo(qwenMax, 10);
      expect(byModel[1]).toMatchObject({ calls: 1, inputTokens: 10, outputTokens: 20 });
      expect(byModel[1]?.cost).toBeCloseTo(qwenPlus, 10);

      const byKey = Object.fromEntries((await usage('API_KEY')).map((b) => [b.key, b]));
      expect(Object.keys(byKey).sort(byText)).toEqual([keyA.id, keyB.id].sort(byText));
      expect(byKey[keyA.id]).toMatchObject({ calls: 2, inputTokens: 110, outputTokens: 70 });
      expect(byKey[keyA.id]?.cost).toBeCloseTo(costOf('qwen-max', 100, 50) + qwenPlus, 10);
      expect(byKey[keyB.id]).toMatchObject({ calls: 1, inputTokens: 1000, outputTokens: 0 });

      const byDay = await usage('DAY');
      for (const bucket of byDay) expect(bucket.key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(byDay.map((b) => b.key)).toContain(new Date().toISOString().slice(0, 10));
      expect(byDay.reduce((sum, b) => sum + b.calls, 0)).toBe(3);
      expect(byDay.reduce((sum, b) => sum + b.inputTokens, 0)).toBe(1110);
      expect(byDay.reduce((sum, b) => sum + b.outputTokens, 0)).toBe(70);

      // The default groupBy is MODEL; a range before the calls is empty.
      const defaulted = await t.client.ok<{ workspace: { usage: Bucket[] } }>(
        `query($w: ID!, $since: DateTime!, $until: DateTime!) { workspace(id: $w) { usage(since: $since, until: $until) { key calls } } }`,
        { w: workspaceId, since, until },
        account.token,
      );
      expect(defaulted.workspace.usage.map((b) => b.key)).toEqual(['qwen-max', 'qwen-plus']);
      const before = await t.client.ok<{ workspace: { usage: Bucket[] } }>(
        USAGE,
        { w: workspaceId, since: '2020-01-01T00:00:00Z', until: '2020-02-01T00:00:00Z', g: 'MODEL' },
        account.token,
      );
      expect(before.workspace.usage).toEqual([]);

      const budget = await t.client.ok<{ workspace: { budget: BudgetView } }>(BUDGET, { w: workspaceId }, account.token);
      expect(budget.workspace.budget.monthlyLimit).toBe(10);
      expect(budget.workspace.budget.spentThisMonth).toBeCloseTo(qwenMax + qwenPlus, 10);
    });
  });

  describe('setWorkspaceBudget', () => {
    it('on the default workspace is refused BAD_USER_INPUT', async () => {
      const result = await t.client.request(SET_WORKSPACE_BUDGET, { w: account.D, l: 5 }, { token: account.token });
      expectError(result, 'BAD_USER_INPUT', 'input.workspaceId');
      const budget = await t.client.ok<{ workspace: { budget: BudgetView | null } }>(BUDGET, { w: account.D }, account.token);
      expect(budget.workspace.budget).toBeNull();
    });

    it('by an ADMINISTRATOR member without a policy is FORBIDDEN and changes nothing; they can read the usage', async () => {
      const { workspaceId } = await enforcedWorkspace(t.client, account, 'qwen-max', null);
      await setBudget(t.client, account.token, workspaceId, 3);
      const admin = await modelStudioUser(t.client, account, { workspaceId, pages: ['ADMINISTRATOR'] });
      const result = await t.client.request(SET_WORKSPACE_BUDGET, { w: workspaceId, l: 1000 }, { token: admin.token });
      expectError(result, 'FORBIDDEN');
      const cleared = await t.client.request(SET_WORKSPACE_BUDGET, { w: workspaceId, l: null }, { token: admin.token });
      expectError(cleared, 'FORBIDDEN');
      const budget = await t.client.request<{ workspace: { budget: BudgetView | null } }>(
        BUDGET,
        { w: workspaceId },
        { token: admin.token },
      );
      expect(outcomeOf(budget)).toBe('OK');
      expect(dataOf(budget).workspace.budget).toMatchObject({ monthlyLimit: 3, spentThisMonth: 0 });
    });

    it('a plain member (no ADMINISTRATOR page) cannot read the budget or usage', async () => {
      const { workspaceId } = await enforcedWorkspace(t.client, account, 'qwen-max', null);
      const member = await modelStudioUser(t.client, account, { workspaceId, pages: ['API_KEY'] });
      const budget = await t.client.request(BUDGET, { w: workspaceId }, { token: member.token });
      expectError(budget, 'FORBIDDEN');
    });

    it('is audited', async () => {
      const { workspaceId } = await enforcedWorkspace(t.client, account, 'qwen-max', null);
      await setBudget(t.client, account.token, workspaceId, 7.5);
      await setBudget(t.client, account.token, workspaceId, null);
      const events = await auditEvents(t.client, account.token, { action: 'setWorkspaceBudget', resourceId: workspaceId });
      const successes = events.filter((e) => e.outcome === 'SUCCESS');
      expect(successes).toHaveLength(2);
      for (const event of successes) expect(event).toMatchObject({ actorId: account.rootId, resourceId: workspaceId });
    });

    it('a negative budget is BAD_USER_INPUT', async () => {
      const { workspaceId } = await enforcedWorkspace(t.client, account, 'qwen-max', null);
      expectError(await t.client.request(SET_WORKSPACE_BUDGET, { w: workspaceId, l: -1 }, { token: account.token }), 'BAD_USER_INPUT');
    });
  });

  /**
   * recordModelUsage counts tokens inside the transaction that records the call: with the
   * counters in the database that must not wait for a second connection (PGlite has one; a
   * PostgreSQL pool has a few). A gateway of its own, so that a wedged one fails only these cases.
   */
  describe('the token window', () => {
    const g = isolatedGateway(overrides);
    let owner: ModelStudioAccount;
    const record = (secret: string, callId: string, input: number, output: number) =>
      within(8_000, 'recordModelUsage', recorded(g.client, secret, callId, input, output));

    beforeAll(async () => {
      owner = await modelStudioAccount(g.client);
    });

    it('the usage limit counts recorded tokens and the estimate of the next call', async () => {
      const { key } = await enforcedWorkspace(g.client, owner, 'qwen-max', { usageLimit: 100, usageLimitPeriodSeconds: 60 });
      const first = await allowedCallId(g.client, key.secret, 'qwen-max', 80);
      await record(key.secret, first, 50, 30);
      const tooBig = await decided(g.client, key.secret, 'qwen-max', { estimatedTokens: 30 });
      expect(tooBig).toMatchObject({ allowed: false, reason: 'RATE_LIMITED', callId: null });
      expect(tooBig.retryAfterSeconds).toBeGreaterThan(0);
      expect(tooBig.retryAfterSeconds).toBeLessThanOrEqual(60);
      const fits = await allowedCallId(g.client, key.secret, 'qwen-max', 10);
      await record(key.secret, fits, 20, 10);
      // 110 tokens of 100: the window is used up, whatever the estimate.
      expect((await decided(g.client, key.secret, 'qwen-max')).reason).toBe('RATE_LIMITED');
      expect((await decided(g.client, key.secret, 'qwen-max', { estimatedTokens: 0 })).reason).toBe('RATE_LIMITED');
    }, 10_000);

    it('15 concurrent recordings all count', async () => {
      const { key } = await enforcedWorkspace(g.client, owner, 'qwen-max', { usageLimit: 1_000, usageLimitPeriodSeconds: 60 });
      // One after the other, so that the callIds differ (see the case of concurrent callIds above).
      const callIds: string[] = [];
      for (let i = 0; i < 15; i++) {
        callIds.push(await allowedCallId(g.client, key.secret, 'qwen-max'));
        await sleep(2);
      }
      expect(new Set(callIds).size).toBe(15);
      const results = await within(
        8_000,
        '15 concurrent recordModelUsage',
        Promise.all(callIds.map((callId) => recordUsage(g.client, key.secret, callId, 40, 20))),
      );
      expect(results.map(outcomeOf)).toEqual(Array(15).fill('OK'));
      // 900 of 1,000 tokens used: 100 more fit, 101 do not.
      expect((await decided(g.client, key.secret, 'qwen-max', { estimatedTokens: 101 })).reason).toBe('RATE_LIMITED');
      expect((await decided(g.client, key.secret, 'qwen-max', { estimatedTokens: 100 })).reason).toBe('ALLOWED');
    }, 10_000);
  });
});
