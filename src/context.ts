import { mustExist } from './db/must-exist.js';
import type { GraphQLError } from 'graphql';
import type { PresentedApiKey } from './api-keys/api-keys.repository.js';
import type { Authentication } from './auth/authentication.js';
import type { CredentialUses } from './auth/last-use.js';
import type { CallCounters } from './usage/call-counters.js';
import type { SessionSigner } from './auth/session.js';
import type { Config } from './config.js';
import type { Reader } from './consistency/read-routing.js';
import type { DB } from './db/database.js';
import type { SharedReads } from './db/coalesced-statements.js';
import type { Loaders } from './loaders.js';
import type { Metrics } from './observability/metrics.js';
import type { RequestDecisions } from './access/request-decisions.js';
import type { Logger } from './logger.js';

/** What lives as long as the server. */
export interface Services {
  db: DB;
  config: Config;
  signer: SessionSigner;
  logger: Logger;
}

/**
 * A request whose caller is signed in: what the resolvers of `@can` fields receive (codegen's
 * `directiveContextTypes`), and the services, locators and decisions below them. The shield
 * rule of such a field has refused any request without an enabled principal.
 */
export type SignedInContext<Context = RequestContext> = Context & { auth: Authentication };

/** What lives as long as one request. */
export interface RequestContext {
  readonly services: Services;
  readonly db: DB;
  /** The same database without this request's plugins, for a statement shared with concurrent requests (src/db/coalesced-statements.ts). */
  readonly sharedReads: SharedReads;
  /** Emptied after each committed mutation (`forgetLoadedRows`), so that nothing read before it is served after it. */
  readonly loaders: Loaders;
  /** The request's authorization decisions so far, by question; cleared with the loaders. */
  readonly decisions: RequestDecisions;
  readonly metrics: Metrics;
  readonly requestId: string;
  /** The client's address (plain IPv4 for IPv4): the socket's peer, or what a trusted proxy forwarded. */
  readonly remoteAddress: string | null;
  /** The client's User-Agent header, cut to 256 characters (recorded with audit events); null when absent. */
  readonly userAgent: string | null;
  /** The socket's peer is a trusted proxy (TRUSTED_PROXIES): addresses it forwards are believed. */
  readonly viaTrustedProxy: boolean;
  auth: Authentication | null;
  /** Why the presented credentials were refused, if they were. */
  authError: GraphQLError | null;
  /** The API key the request presents, if any: its secret's hash, or a temporary key's claims. */
  readonly presentedApiKey: PresentedApiKey | null;
  /** True until the presented API key has been looked up (see `settleAuthentication`). */
  apiKeyPending: boolean;
  /** The lookup of the presented API key, once started: whoever asks next waits for the same one. */
  apiKeyLookup: Promise<void> | null;
  /** Records when credentials were last used, off the request's path. */
  readonly lastUse: CredentialUses;
  /** Counts model calls (requests and tokens per workspace and model), across processes. */
  readonly counters: CallCounters;
  /** Where the request reads, and whether it committed a permission write (src/consistency/). */
  readonly consistency: RequestConsistency;
}

export interface RequestConsistency {
  /** Which server answered `db`'s reads: the primary, or a replica fresh enough for this request (src/consistency/read-routing.ts). */
  servedBy(): Reader;
  /**
   * Whether this answer will be sent: false when it was read from a replica before its freshness
   * was known and the replica turned out behind; the request then runs again (src/http/graphql-handler.ts).
   */
  readonly kept: Promise<boolean>;
  /** Set by a committed permission write: the response raises the watermark and carries a consistency token. */
  committedWrite: boolean;
}

/** A request below a guarded field (a `@withParent` field of an object only signed-in callers reach). */
export function asSignedIn(ctx: RequestContext): SignedInContext {
  mustExist(ctx.auth, 'the principal of a request past a guarded field');
  return ctx as SignedInContext;
}
