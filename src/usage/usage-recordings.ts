import { coalesced, type SharedReads } from '../db/coalesced-statements.js';
import type { DB } from '../db/database.js';
import { mustExist } from '../db/must-exist.js';
import type { CallCounters, CounterConsumption } from './call-counters.js';
import { addSpends, insertUsages, type NewUsage } from './usage.repository.js';

/** A call's usage to record, the token window it counts against (if any), and the counters that keep that window. */
export interface Recording {
  usage: NewUsage;
  tokens: CounterConsumption | null;
  counters: CallCounters;
}

export interface RecordingOutcome {
  /** False when the call was recorded already: then nothing of it is counted. */
  recorded: boolean;
  /** Whether the workspace's spend of the month, up to and including this call, reaches its budget. */
  budgetReached: boolean;
}

const NOT_RECORDED: RecordingOutcome = { recorded: false, budgetReached: false };

/**
 * Records a batch in one transaction: the usage rows, the spends and the token windows take a
 * statement each, however many calls the batch holds. A call ID that comes twice is recorded
 * once, the first time. Rows are written in the order of their keys (call IDs here, workspaces
 * and windows in their statements), so that concurrent batches never deadlock.
 */
async function recordBatch(db: DB, recordings: readonly Recording[]): Promise<Map<Recording, RecordingOutcome>> {
  const byCallId = new Map<string, Recording>();
  for (const recording of recordings) if (!byCallId.has(recording.usage.call_id)) byCallId.set(recording.usage.call_id, recording);
  const usages = [...byCallId.values()].map((r) => r.usage).sort((a, b) => (a.call_id < b.call_id ? -1 : 1));
  return db.transaction().execute(async (trx) => {
    const inserted = await insertUsages(trx, usages);
    const recorded = recordings.filter((r) => inserted.has(r.usage.call_id) && byCallId.get(r.usage.call_id) === r);
    const outcomes = new Map<Recording, RecordingOutcome>();
    if (!recorded.length) return outcomes;
    const spends = recorded.map((r) => ({ workspaceId: r.usage.workspace_id, cost: r.usage.cost }));
    const budgetReached = await addSpends(trx, spends);
    for (const [i, r] of recorded.entries()) outcomes.set(r, { recorded: true, budgetReached: budgetReached[i] === true });
    const windowsByCounters = new Map<CallCounters, CounterConsumption[]>();
    for (const { tokens, counters } of recorded) {
      if (!tokens) continue;
      const consumptions = windowsByCounters.get(counters);
      if (consumptions) consumptions.push(tokens);
      else windowsByCounters.set(counters, [tokens]);
    }
    for (const [counters, consumptions] of windowsByCounters) await counters.consumeAll(consumptions, trx);
    return outcomes;
  });
}

/**
 * Concurrent calls' recordings, together (`coalesced`): one transaction and one commit for as
 * many as arrived while the previous one ran, where each call had a transaction of its own (three
 * statements and a commit, on the same hot rows: its workspace's spend and token window). A
 * failure records nothing of the batch, and each call may be recorded again.
 */
const recordTogether = coalesced(async (db: DB, recordings: Recording[]) => {
  const outcomes = await recordBatch(db, recordings);
  return recordings.map((r) => [outcomes.get(r) ?? NOT_RECORDED]);
});

/**
 * Records one call's usage with concurrent calls'. `writes`: the primary, which a mutation's
 * shared reads go to (src/consistency/read-routing.ts).
 */
export async function recordUsage(writes: SharedReads, recording: Recording): Promise<RecordingOutcome> {
  const [outcome] = await recordTogether(writes, recording);
  return mustExist(outcome, 'the outcome of a recording');
}
