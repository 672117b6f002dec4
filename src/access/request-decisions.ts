import type { Actor, Decision } from '../policy/index.js';

/**
 * A request's authorization work so far: its decisions by question, and its caller as the policy
 * sees it (asked once per decision and once per item of a filtered list otherwise). Cleared with
 * the loaders after a committed change, so that nothing decided before it is reused after it.
 */
export class RequestDecisions extends Map<string, Promise<Decision>> {
  actor: Promise<Actor> | null = null;

  override clear(): void {
    super.clear();
    this.actor = null;
  }
}
