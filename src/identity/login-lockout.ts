import type { Config } from '../config.js';
import type { DB } from '../db/database.js';
import { giveBack, hit, rateLimited, type Limit } from '../limits/rate-limits.js';
import { sourceNetworkKey } from '../limits/source-network.js';

/**
 * Login lockout, in the manner of Auth0's brute-force protection (per user and source) rather
 * than Keycloak's per-user lock, which lets anyone lock anyone out:
 *
 * - Per (login name, source network: IPv4 /24, IPv6 /64): each attempt is reserved (counted by
 *   one atomic upsert) before its password is checked, so concurrent guesses cannot all get
 *   checked. Past `failedLoginsBeforeLockout` within 15 minutes the name is locked, but only for
 *   that network: a stranger's failures never refuse the owner elsewhere.
 * - Per login name across all networks: attempts are counted too. Past a ceiling of
 *   UNDER_ATTACK_FACTOR times the per-network limit the name is under attack, and a network
 *   gets a single attempt at it per window instead of the full allowance: a guesser spread over
 *   many networks gets one guess from each, while the owner's first attempt from a network that
 *   has not tried the name is still checked, never refused.
 *
 * A right password gives its reservations back; failures keep theirs until the window ends.
 * Per-address limits (any names) come on top, in the caller.
 */
const LOCKOUT_WINDOW_SECONDS = 15 * 60;
const UNDER_ATTACK_FACTOR = 10;

export interface LoginReservation {
  /** The password was right: the attempt does not count against the name. */
  release(): Promise<void>;
}

export async function reserveLoginAttempt(
  db: DB,
  limits: Config['authLimits'],
  loginName: string,
  sourceAddress: string | null,
): Promise<LoginReservation> {
  const name = loginName.toLowerCase();
  const perNetwork: Limit = {
    key: `login-failures:${name}:${sourceNetworkKey(sourceAddress)}`,
    max: limits.failedLoginsBeforeLockout,
    windowSeconds: LOCKOUT_WINDOW_SECONDS,
  };
  const perName: Limit = {
    key: `login-failures:${name}`,
    max: limits.failedLoginsBeforeLockout * UNDER_ATTACK_FACTOR,
    windowSeconds: LOCKOUT_WINDOW_SECONDS,
  };

  const network = await hit(db, perNetwork);
  if (network.hits > perNetwork.max) {
    throw rateLimited('This login name is locked for your network after repeated failed logins', network.retryAfterSeconds);
  }
  const everywhere = await hit(db, perName);
  if (everywhere.hits > perName.max && network.hits > 1) {
    throw rateLimited('This login name is under attack: one attempt per network for now', network.retryAfterSeconds);
  }
  return {
    release: async () => {
      await giveBack(db, perNetwork);
      await giveBack(db, perName);
    },
  };
}
