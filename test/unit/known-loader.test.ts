import { describe, expect, it } from 'vitest';
import { andThen, KnownLoader } from '../../src/known-loader.js';

// A KnownLoader answers without a promise for what it holds, and forgets it with DataLoader's cache.

function loaderOf(rows: Record<string, string | null>) {
  const batches: string[][] = [];
  const loader = new KnownLoader<string, string | null>(async (keys) => {
    batches.push([...keys]);
    return keys.map((key) => rows[key] ?? null);
  });
  return { loader, batches };
}

describe('KnownLoader', () => {
  it('holds primed values: loadNow answers them without a promise or a batch', () => {
    const { loader, batches } = loaderOf({});
    loader.prime('a', 'row a');
    expect(loader.peek('a')).toBe('row a');
    expect(loader.loadNow('a')).toBe('row a');
    expect(batches).toEqual([]);
  });

  it('holds loaded values, a missing one (null) included, once their batch has answered', async () => {
    const { loader } = loaderOf({ a: 'row a' });
    const loading = loader.loadNow('a');
    expect(loading).toBeInstanceOf(Promise);
    expect(loader.peek('a')).toBeUndefined();
    expect(await Promise.all([loading, loader.load('b')])).toEqual(['row a', null]);
    expect(loader.loadNow('a')).toBe('row a');
    expect(loader.peek('b')).toBeNull();
  });

  it('keeps the value it holds when primed again, as DataLoader does', () => {
    const { loader } = loaderOf({});
    loader.prime('a', 'first');
    loader.prime('a', 'second');
    expect(loader.peek('a')).toBe('first');
  });

  it('forgets with clear and clearAll', async () => {
    const { loader, batches } = loaderOf({ a: 'row a', b: 'row b' });
    loader.prime('a', 'row a');
    loader.prime('b', 'row b');
    loader.clear('a');
    expect(loader.peek('a')).toBeUndefined();
    expect(loader.peek('b')).toBe('row b');
    loader.clearAll();
    expect(loader.peek('b')).toBeUndefined();
    expect(await loader.loadNow('b')).toBe('row b');
    expect(batches).toEqual([['b']]);
  });

  it('loadExisting answers a held row at once, and a missing one as a broken invariant', async () => {
    const { loader } = loaderOf({ a: 'row a' });
    loader.prime('a', 'row a');
    expect(loader.loadExisting('a', 'the row')).toBe('row a');
    await expect(loader.loadExisting('b', 'the row')).rejects.toThrow('Invariant broken: the row is missing');
    expect(() => loader.loadExisting('b', 'the row')).toThrow('Invariant broken: the row is missing');
  });

  it('does not hold what a batch answered with an error', async () => {
    const loader = new KnownLoader<string, string>(async (keys) => keys.map(() => new Error('unreadable')));
    await expect(loader.load('a')).rejects.toThrow('unreadable');
    expect(loader.peek('a')).toBeUndefined();
  });
});

describe('andThen', () => {
  it('applies a step at once to a value, and after the promise to a promise', async () => {
    expect(andThen(2, (n) => n + 1)).toBe(3);
    const later = andThen(Promise.resolve(2), (n) => n + 1);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe(3);
  });
});
