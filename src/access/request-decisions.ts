import type { MaybePromise } from '../known-loader.js';
import type { Ability, Actor, Decision, ListFilter } from '../policy/index.js';

/**
 * A request's authorization work so far: its decisions by question, and its caller as the policy
 * sees it (asked once per decision and once per item of a filtered list otherwise). Cleared with
 * the loaders after a committed change, so that nothing decided before it is reused after it.
 */
export class RequestDecisions extends Map<string, Promise<Decision>> {
  actor: Promise<Actor> | null = null;
  /** The same caller once its promise has settled: what a decision without I/O needs (src/access/decide-for.ts). */
  knownActor: Actor | null = null;
  /** The decisions that allow in full, by question, once known: answered again without a promise. */
  readonly allowedInFull = new Map<string, Decision>();
  /** What of a list the caller sees, by the list ability's question: asked once per item of a page otherwise. */
  readonly listFilters = new Map<string, MaybePromise<ListFilter>>();
  /** The first answer of a `@can` rule, by rule and parent key (src/shield/rules.ts). */
  readonly fieldAnswers = new Map<string, Promise<boolean | Error>>();
  readonly #allowedParents = new Map<Ability, Set<string>>();

  /** The keys of parents on which `ability` was allowed without I/O (src/shield/rules.ts `allowsNow`). */
  allowedParents(ability: Ability): Set<string> {
    let keys = this.#allowedParents.get(ability);
    if (!keys) {
      keys = new Set();
      this.#allowedParents.set(ability, keys);
    }
    return keys;
  }

  override clear(): void {
    super.clear();
    this.actor = null;
    this.knownActor = null;
    this.allowedInFull.clear();
    this.listFilters.clear();
    this.fieldAnswers.clear();
    this.#allowedParents.clear();
  }
}
