import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../src/db/database.js';
import { countStatements, type StatementCount } from '../../src/db/statement-counter.js';
import { CounterStoreUnavailable, createCallCounters, type CallCounters } from '../../src/usage/call-counters.js';
import { tokenCounterKey } from '../../src/usage/authorize-model-call.js';
import { recordUsage, type Recording } from '../../src/usage/usage-recordings.js';
import { createWorkspace, modelStudioAccount, type ModelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { enforcedWorkspace, setBudget } from './support.js';

const t = gatewayForThisFile();
const MODEL = 'qwen-plus';

/**
 * Recordings of concurrent calls' usage share one transaction (src/usage/usage-recordings.ts):
 * each counts as if recorded alone, one after another in the order asked, and a batch that fails
 * records nothing.
 */
describe('recordings of concurrent model calls', () => {
  let account: ModelStudioAccount;
  let accountId: string;
  let apiKeyId: string;
  let counters: CallCounters;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    accountId = account.accountId;
    apiKeyId = (await enforcedWorkspace(t.client, account, MODEL, null)).key.id;
    counters = createCallCounters({ redisUrl: null, db: t.database.db });
  });

  /** A sub-workspace of its own, so that its spend and window start at nothing. */
  const freshWorkspace = () => createWorkspace(t.client, account.token);
  const recording = (
    workspaceId: string,
    cost: number,
    options: { callId?: string; tokens?: number; via?: CallCounters } = {},
  ): Recording => ({
    usage: {
      call_id: options.callId ?? `call_${randomUUID()}`,
      account_id: accountId,
      workspace_id: workspaceId,
      model_id: MODEL,
      api_key_id: apiKeyId,
      input_tokens: 10,
      output_tokens: 5,
      cost,
      called_at: new Date(),
    },
    tokens: options.tokens ? { key: tokenCounterKey(workspaceId, MODEL), limit: 1_000, periodSeconds: 60, points: options.tokens } : null,
    counters: options.via ?? counters,
  });
  const spent = async (workspaceId: string) =>
    (await sql<{ spent: string }>`select spent::text from workspace_spend where workspace_id = ${workspaceId}`.execute(t.database.db))
      .rows[0]?.spent ?? null;
  const windowPoints = async (workspaceId: string) =>
    (
      await sql<{
        points: string;
      }>`select points from model_call_counter where key = ${`model-call:${tokenCounterKey(workspaceId, MODEL)}`}`.execute(t.database.db)
    ).rows[0]?.points ?? null;
  const usageRows = async (workspaceId: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from model_usage where workspace_id = ${workspaceId}`.execute(t.database.db))
      .rows[0]?.n;
  const writes = (db: DB) => ({ db, count: null });

  it('record 30 concurrent calls in two transactions of three statements, every cost and token counted', async () => {
    const workspaceId = await freshWorkspace();
    const count: StatementCount = { statements: 0 };
    const counted = t.database.db.withPlugin(countStatements(count));
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () => recordUsage(writes(counted), recording(workspaceId, 0.1, { tokens: 15 }))),
    );
    expect(outcomes.every((outcome) => outcome.recorded)).toBe(true);
    // The first runs at once; the 29 asked while it ran share the next transaction. Each wrote
    // its usage, its spend and its window: three statements, where each call ran its own three.
    expect(count.statements).toBe(6);
    expect(await usageRows(workspaceId)).toBe(30);
    expect(await spent(workspaceId)).toBe('3.00000000');
    expect(Number(await windowPoints(workspaceId))).toBe(450);
  });

  it('record a call ID once: the second time in a batch, and any time after, is not recorded and counts nothing', async () => {
    const workspaceId = await freshWorkspace();
    const callId = `call_${randomUUID()}`;
    const outcomes = await Promise.all([
      recordUsage(writes(t.database.db), recording(workspaceId, 0.25, { tokens: 7 })),
      recordUsage(writes(t.database.db), recording(workspaceId, 0.5, { callId, tokens: 7 })),
      recordUsage(writes(t.database.db), recording(workspaceId, 0.5, { callId, tokens: 7 })),
    ]);
    expect(outcomes.map((outcome) => outcome.recorded)).toEqual([true, true, false]);
    expect((await recordUsage(writes(t.database.db), recording(workspaceId, 0.5, { callId, tokens: 7 }))).recorded).toBe(false);
    expect(await usageRows(workspaceId)).toBe(2);
    expect(await spent(workspaceId)).toBe('0.75000000');
    expect(Number(await windowPoints(workspaceId))).toBe(14);
  });

  it("tell each call whether the spend up to and including it reaches the workspace's budget", async () => {
    const workspaceId = await freshWorkspace();
    await setBudget(t.client, account.token, workspaceId, 1);
    const outcomes = await Promise.all(
      [0.4, 0.3, 0.3, 0.2].map((cost) => recordUsage(writes(t.database.db), recording(workspaceId, cost))),
    );
    expect(outcomes.map((outcome) => outcome.budgetReached)).toEqual([false, false, true, true]);
    expect(await spent(workspaceId)).toBe('1.20000000');
  });

  it('record nothing of a batch whose token windows cannot be counted', async () => {
    const [workspaceId, other] = [await freshWorkspace(), await freshWorkspace()];
    const down: CallCounters = { ...counters, consumeAll: () => Promise.reject(new CounterStoreUnavailable('the store is down')) };
    const opener = recordUsage(writes(t.database.db), recording(other, 0.1));
    const batch = [
      recordUsage(writes(t.database.db), recording(workspaceId, 0.1)),
      recordUsage(writes(t.database.db), recording(workspaceId, 0.1, { tokens: 5, via: down })),
    ];
    await opener;
    for (const outcome of await Promise.allSettled(batch)) {
      expect(outcome.status).toBe('rejected');
      expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(CounterStoreUnavailable);
    }
    expect(await usageRows(workspaceId)).toBe(0);
    expect(await spent(workspaceId)).toBeNull();
  });
});
