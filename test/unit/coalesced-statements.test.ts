import { describe, expect, it, vi } from 'vitest';
import { coalesced, type SharedReads } from '../../src/db/coalesced-statements.js';
import type { DB } from '../../src/db/database.js';
import type { StatementCount } from '../../src/db/statement-counter.js';

// The lookups of concurrent requests run as few statements: one of a kind at a time on a database,
// the others waiting together for the next one (at most 64 each), or for 20 ms at most. `run` here
// is a fake whose statements the tests answer (or fail) by hand, in the order they choose.

/** One call of the fake `run`: a statement, waiting for the test to answer it. */
interface Statement {
  db: DB;
  inputs: string[];
  answer: (rows: string[][]) => void;
  fail: (error: unknown) => void;
}

/** A `coalesced` lookup over a fake `run` that records its statements. */
function harness() {
  const statements: Statement[] = [];
  const lookup = coalesced<string, string>(
    (db, inputs) =>
      new Promise<string[][]>((resolve, reject) => {
        statements.push({ db, inputs: [...inputs], answer: resolve, fail: reject });
      }),
  );
  return { lookup, statements };
}

/** Rows that name their input, some with two rows, one with none: each caller must get exactly its own. */
const rowsOf = (input: string): string[] =>
  input.endsWith('-none') ? [] : input.endsWith('-two') ? [`${input}#1`, `${input}#2`] : [`${input}#1`];

/** Answers a statement with the rows of each of its inputs, in their order. */
const answerAll = (statement: Statement | undefined) => {
  if (!statement) throw new Error('no such statement');
  statement.answer(statement.inputs.map(rowsOf));
};

/** A lookup's promise, and what it has come to so far (read after `settle`). */
interface Tracked {
  promise: Promise<string[]>;
  state: 'pending' | 'answered' | 'failed';
  rows: string[] | undefined;
  error: unknown;
}

function track(promise: Promise<string[]>): Tracked {
  const tracked: Tracked = { promise, state: 'pending', rows: undefined, error: undefined };
  void promise.then(
    (rows) => {
      tracked.state = 'answered';
      tracked.rows = rows;
    },
    (error: unknown) => {
      tracked.state = 'failed';
      tracked.error = error;
    },
  );
  return tracked;
}

/** Lets every pending promise callback run (the answers, the counts, the next statement's start). */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const reads = (db: DB, count: StatementCount | null = null): SharedReads => ({ db, count });

/** A database object: the lookups are keyed by its identity alone. */
const newDb = () => ({}) as DB;

describe('coalesced', () => {
  it('the first lookup starts a statement at once, with one input; a second and a third wait, and go together as one statement when it finishes', async () => {
    const { lookup, statements } = harness();
    const db = newDb();
    const a = track(lookup(reads(db), 'a'));
    expect(statements.map((s) => s.inputs)).toEqual([['a']]);
    const b = track(lookup(reads(db), 'b'));
    const c = track(lookup(reads(db), 'c'));
    await settle();
    expect(statements).toHaveLength(1);
    expect([a.state, b.state, c.state]).toEqual(['pending', 'pending', 'pending']);

    answerAll(statements[0]);
    await settle();
    expect(a.rows).toEqual(['a#1']);
    expect(statements.map((s) => s.inputs)).toEqual([['a'], ['b', 'c']]);
    expect([b.state, c.state]).toEqual(['pending', 'pending']);
    answerAll(statements[1]);
    await settle();
    expect([a.rows, b.rows, c.rows]).toEqual([['a#1'], ['b#1'], ['c#1']]);
    expect(statements.every((s) => s.db === db)).toBe(true);

    // Nothing runs any more: the next lookup starts its own at once.
    const d = track(lookup(reads(db), 'd'));
    expect(statements.map((s) => s.inputs)).toEqual([['a'], ['b', 'c'], ['d']]);
    answerAll(statements[2]);
    await settle();
    expect(d.rows).toEqual(['d#1']);
    expect(statements).toHaveLength(3);
  });

  it('lookups made while one runs wait, and go together as one statement, in the order asked, as soon as it finishes', async () => {
    const { lookup, statements } = harness();
    const db = newDb();
    const first = track(lookup(reads(db), 'first'));
    const waiting = ['w1', 'w2-two', 'w3-none', 'w4'].map((input) => track(lookup(reads(db), input)));
    await settle();
    expect(statements.map((s) => s.inputs)).toEqual([['first']]);

    // The first finishes: the waiting ones start at once, as one statement.
    answerAll(statements[0]);
    await settle();
    expect(first.rows).toEqual(['first#1']);
    expect(statements.map((s) => s.inputs)).toEqual([['first'], ['w1', 'w2-two', 'w3-none', 'w4']]);
    expect(waiting.map((w) => w.state)).toEqual(['pending', 'pending', 'pending', 'pending']);

    // The batch runs: the next lookups wait for it, not for a second statement beside it.
    const later = ['l1', 'l2'].map((input) => track(lookup(reads(db), input)));
    await settle();
    expect(statements).toHaveLength(2);

    answerAll(statements[1]);
    await settle();
    expect(waiting.map((w) => w.rows)).toEqual([['w1#1'], ['w2-two#1', 'w2-two#2'], [], ['w4#1']]);
    expect(statements.map((s) => s.inputs)).toEqual([['first'], ['w1', 'w2-two', 'w3-none', 'w4'], ['l1', 'l2']]);
    expect(later.map((l) => l.state)).toEqual(['pending', 'pending']);

    // (l1, l2) runs: a lookup made now waits too, alone, for the next one.
    const alone = track(lookup(reads(db), 'alone'));
    await settle();
    expect(statements).toHaveLength(3);
    answerAll(statements[2]);
    await settle();
    expect(later.map((l) => l.rows)).toEqual([['l1#1'], ['l2#1']]);
    expect(statements.map((s) => s.inputs).slice(3)).toEqual([['alone']]);
    answerAll(statements[3]);
    await settle();
    expect(alone.rows).toEqual(['alone#1']);
    // Nothing was left waiting: no statement without lookups ran.
    expect(statements).toHaveLength(4);
  });

  it('each caller gets exactly the rows at its own index, and nothing else, even for the same input twice', async () => {
    const { lookup, statements } = harness();
    const db = newDb();
    const running = track(lookup(reads(db), 'r1'));
    const inputs = ['x', 'y-two', 'z-none', 'x', 'y-two'];
    const batch = inputs.map((input) => track(lookup(reads(db), input)));
    // The lookup that ran alone gets its own rows too.
    answerAll(statements[0]);
    await settle();
    expect(running.rows).toEqual(['r1#1']);
    const statement = statements[1];
    expect(statement?.inputs).toEqual(inputs);
    // Rows that tell the index apart: the same input asked twice gets the rows of its own place.
    statement?.answer(inputs.map((input, i) => [`${input}@${i}`]));
    await settle();
    expect(batch.map((b) => b.rows)).toEqual([['x@0'], ['y-two@1'], ['z-none@2'], ['x@3'], ['y-two@4']]);
    expect(statements).toHaveLength(2);
  });

  it('a failing statement rejects every lookup of its batch with its error, and nothing else; later lookups still run', async () => {
    const { lookup, statements } = harness();
    const db = newDb();
    const a = track(lookup(reads(db), 'a'));
    const batch = ['b', 'c', 'd'].map((input) => track(lookup(reads(db), input)));

    const failure = new Error('connection reset');
    statements[0]?.fail(failure);
    await settle();
    expect(a.state).toBe('failed');
    expect(a.error).toBe(failure);
    // The waiting lookups were not in the failed statement: they run, in one statement of their own.
    expect(batch.map((x) => x.state)).toEqual(['pending', 'pending', 'pending']);
    expect(statements.map((s) => s.inputs)).toEqual([['a'], ['b', 'c', 'd']]);

    const e = track(lookup(reads(db), 'e'));
    const batchFailure = new Error('statement timeout');
    statements[1]?.fail(batchFailure);
    await settle();
    expect(batch.map((x) => x.state)).toEqual(['failed', 'failed', 'failed']);
    expect(batch.every((x) => x.error === batchFailure)).toBe(true);
    await expect(batch[0]?.promise).rejects.toBe(batchFailure);
    // The lookup that waited for the failed batch is not failed with it: it runs next.
    expect(e.state).toBe('pending');
    expect(statements.map((s) => s.inputs).slice(2)).toEqual([['e']]);
    answerAll(statements[2]);
    await settle();
    expect(e.rows).toEqual(['e#1']);

    // Both failures freed their slot: a new lookup starts at once, the next one waits for it.
    const f = track(lookup(reads(db), 'f'));
    expect(statements.map((s) => s.inputs).slice(3)).toEqual([['f']]);
    const g = track(lookup(reads(db), 'g'));
    expect(statements).toHaveLength(4);
    answerAll(statements[3]);
    await settle();
    expect(f.rows).toEqual(['f#1']);
    expect(statements[4]?.inputs).toEqual(['g']);
    answerAll(statements[4]);
    await settle();
    expect(g.rows).toEqual(['g#1']);
    expect(statements).toHaveLength(5);
  });

  it('count.statements goes up by one per lookup, when its answer comes; count: null works', async () => {
    const { lookup, statements } = harness();
    const db = newDb();
    const counts = [{ statements: 0 }, { statements: 5 }, { statements: 0 }];
    const [firstCount, secondCount, sharedCount] = counts as [StatementCount, StatementCount, StatementCount];
    const first = track(lookup(reads(db, firstCount), 'a'));
    // Waiting together in one statement: each request counts it once, a request with two lookups twice.
    const uncounted = track(lookup(reads(db, null), 'b'));
    const second = track(lookup(reads(db, secondCount), 'c'));
    const sharedOne = track(lookup(reads(db, sharedCount), 'd'));
    const sharedTwo = track(lookup(reads(db, sharedCount), 'e-two'));
    const uncountedToo = track(lookup(reads(db, null), 'f-none'));
    await settle();
    expect(statements.map((s) => s.inputs)).toEqual([['a']]);
    expect(counts.map((c) => c.statements)).toEqual([0, 5, 0]);

    answerAll(statements[0]);
    await settle();
    expect(first.rows).toEqual(['a#1']);
    expect(counts.map((c) => c.statements)).toEqual([1, 5, 0]);
    expect(statements[1]?.inputs).toEqual(['b', 'c', 'd', 'e-two', 'f-none']);

    answerAll(statements[1]);
    await settle();
    expect([uncounted.rows, second.rows, sharedOne.rows, sharedTwo.rows, uncountedToo.rows]).toEqual([
      ['b#1'],
      ['c#1'],
      ['d#1'],
      ['e-two#1', 'e-two#2'],
      [],
    ]);
    expect(counts.map((c) => c.statements)).toEqual([1, 6, 2]);

    // A lookup with no count, alone in its statement.
    const alone = track(lookup(reads(db, null), 'g'));
    answerAll(statements[2]);
    await settle();
    expect(alone.rows).toEqual(['g#1']);
    expect(counts.map((c) => c.statements)).toEqual([1, 6, 2]);
    expect(statements).toHaveLength(3);
  });

  it('two databases do not share statements: each has its own statement running at once, and its own batches', async () => {
    const { lookup, statements } = harness();
    const one = newDb();
    const other = newDb();
    const a1 = track(lookup(reads(one), 'a1'));
    const a2 = track(lookup(reads(one), 'a2'));
    const a3 = track(lookup(reads(one), 'a3'));
    // `one` runs a statement: `other` still starts one at once.
    const b1 = track(lookup(reads(other), 'b1'));
    const b2 = track(lookup(reads(other), 'b2'));
    const b3 = track(lookup(reads(other), 'b3'));
    await settle();
    const where = (s: Statement) => (s.db === one ? 'one' : s.db === other ? 'other' : '?');
    expect(statements.map((s) => [where(s), s.inputs])).toEqual([
      ['one', ['a1']],
      ['other', ['b1']],
    ]);

    // `other`'s statement finishing starts `other`'s waiting lookups, not `one`'s.
    answerAll(statements[1]);
    await settle();
    expect(statements).toHaveLength(3);
    expect(statements[2]?.db).toBe(other);
    expect(statements[2]?.inputs).toEqual(['b2', 'b3']);
    expect([a1.state, a2.state, a3.state]).toEqual(['pending', 'pending', 'pending']);

    answerAll(statements[0]);
    await settle();
    expect(statements).toHaveLength(4);
    expect(statements[3]?.db).toBe(one);
    expect(statements[3]?.inputs).toEqual(['a2', 'a3']);
    answerAll(statements[2]);
    answerAll(statements[3]);
    await settle();
    expect([a1, a2, a3, b1, b2, b3].map((x) => x.rows)).toEqual([['a1#1'], ['a2#1'], ['a3#1'], ['b1#1'], ['b2#1'], ['b3#1']]);
    expect(statements).toHaveLength(4);
  });

  it('two kinds of lookup (two coalesced) on one database do not share statements either', async () => {
    const first = harness();
    const second = harness();
    const db = newDb();
    const a = [track(first.lookup(reads(db), 'a1')), track(first.lookup(reads(db), 'a2')), track(first.lookup(reads(db), 'a3'))];
    const b = [track(second.lookup(reads(db), 'b1')), track(second.lookup(reads(db), 'b2'))];
    await settle();
    // Each kind runs one statement at once, the other's notwithstanding.
    expect(first.statements.map((s) => s.inputs)).toEqual([['a1']]);
    expect(second.statements.map((s) => s.inputs)).toEqual([['b1']]);
    answerAll(second.statements[0]);
    await settle();
    expect(second.statements.map((s) => s.inputs)).toEqual([['b1'], ['b2']]);
    expect(first.statements).toHaveLength(1);
    answerAll(first.statements[0]);
    await settle();
    expect(first.statements.map((s) => s.inputs)).toEqual([['a1'], ['a2', 'a3']]);
    expect(second.statements).toHaveLength(2);
    answerAll(first.statements[1]);
    answerAll(second.statements[1]);
    await settle();
    expect([...a, ...b].map((x) => x.rows)).toEqual([['a1#1'], ['a2#1'], ['a3#1'], ['b1#1'], ['b2#1']]);
  });

  it('more than 64 waiting lookups go as statements of at most 64, in the order asked', async () => {
    const { lookup, statements } = harness();
    const db = newDb();
    const inputs = Array.from({ length: 132 }, (_, i) => `k${i}`);
    const lookups = inputs.map((input) => track(lookup(reads(db), input)));
    await settle();
    expect(statements.map((s) => s.inputs)).toEqual([['k0']]);

    // Each statement that finishes starts one: 64, then 64, then the 3 left.
    answerAll(statements[0]);
    await settle();
    expect(statements.map((s) => s.inputs.length)).toEqual([1, 64]);
    answerAll(statements[1]);
    await settle();
    expect(statements.map((s) => s.inputs.length)).toEqual([1, 64, 64]);
    answerAll(statements[2]);
    await settle();
    expect(statements.map((s) => s.inputs.length)).toEqual([1, 64, 64, 3]);
    expect(statements.flatMap((s) => s.inputs)).toEqual(inputs);
    expect(statements[1]?.inputs).toEqual(inputs.slice(1, 65));
    expect(statements[2]?.inputs).toEqual(inputs.slice(65, 129));
    expect(statements[3]?.inputs).toEqual(['k129', 'k130', 'k131']);

    answerAll(statements[3]);
    await settle();
    expect(lookups.map((l) => l.rows)).toEqual(inputs.map((input) => [`${input}#1`]));
    expect(statements).toHaveLength(4);
  });

  it('exactly 64 waiting lookups go as one statement', async () => {
    const { lookup, statements } = harness();
    const db = newDb();
    const inputs = Array.from({ length: 65 }, (_, i) => `k${i}`);
    const lookups = inputs.map((input) => track(lookup(reads(db), input)));
    answerAll(statements[0]);
    await settle();
    expect(statements.map((s) => s.inputs.length)).toEqual([1, 64]);
    answerAll(statements[1]);
    await settle();
    expect(statements).toHaveLength(2);
    expect(lookups.every((l) => l.state === 'answered')).toBe(true);
  });

  it('lookups wait at most 20 ms for a running statement, then start their own (a statement stuck on a connection holds none past the pool timeout)', async () => {
    vi.useFakeTimers();
    try {
      const { lookup, statements } = harness();
      const db = newDb();
      const held = track(lookup(reads(db), 'a'));
      const waiting = ['b', 'c'].map((input) => track(lookup(reads(db), input)));
      expect(statements.map((s) => s.inputs)).toEqual([['a']]);
      await vi.advanceTimersByTimeAsync(19);
      expect(statements).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(statements.map((s) => s.inputs)).toEqual([['a'], ['b', 'c']]);
      // Two statements run now, both stuck: a later lookup waits its own 20 ms, then starts a third.
      const late = track(lookup(reads(db), 'd'));
      await vi.advanceTimersByTimeAsync(19);
      expect(statements).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(statements.map((s) => s.inputs)).toEqual([['a'], ['b', 'c'], ['d']]);
      for (const statement of statements) answerAll(statement);
      await vi.advanceTimersByTimeAsync(0);
      expect([held, ...waiting, late].map((t) => t.rows)).toEqual([['a#1'], ['b#1'], ['c#1'], ['d#1']]);
      // Nothing left over: no statement without lookups once the timers run out.
      await vi.advanceTimersByTimeAsync(100);
      expect(statements).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
