import DataLoader from 'dataloader';
import { mustExist } from './db/must-exist.js';

export type MaybePromise<T> = T | Promise<T>;

/** `next` applied to a value, or once a promise of it settles: no promise where there was none. */
export const andThen = <T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> =>
  value instanceof Promise ? value.then(next) : next(value);

/**
 * A DataLoader that also answers, without a promise, for the values it already holds (primed, or
 * loaded). A page's members are primed with their principals and keys: their fields then resolve
 * synchronously, where each would otherwise cost graphql-js a promise to await (issue #16).
 */
export class KnownLoader<K, V> extends DataLoader<K, V> {
  readonly #known: Map<K, V>;

  constructor(batch: (keys: readonly K[]) => Promise<ReadonlyArray<V | Error>>) {
    const known = new Map<K, V>();
    super(async (keys) => {
      const values = await batch(keys);
      values.forEach((value, i) => {
        if (!(value instanceof Error)) known.set(keys[i] as K, value);
      });
      return values;
    });
    this.#known = known;
  }

  /** The value held for `key`, undefined when it is not (yet) known. */
  peek(key: K): V | undefined {
    return this.#known.get(key);
  }

  /** The value, without a promise when it is known. */
  loadNow(key: K): MaybePromise<V> {
    const known = this.#known.get(key);
    return known === undefined ? this.load(key) : known;
  }

  /** `loadNow` of a row the database guarantees (`mustExist`): its absence is a broken invariant. */
  loadExisting(key: K, what: string): MaybePromise<NonNullable<V>> {
    return andThen(this.loadNow(key), (value) => mustExist(value as NonNullable<V> | null | undefined, what));
  }

  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    // Like DataLoader's own cache, a value already held is kept.
    if (!this.#known.has(key) && !(value instanceof Error) && !isPromiseLike(value)) this.#known.set(key, value);
    return super.prime(key, value);
  }

  override clear(key: K): this {
    this.#known.delete(key);
    return super.clear(key);
  }

  override clearAll(): this {
    this.#known.clear();
    return super.clearAll();
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';
