import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { settleAuthentication, type Authentication } from '../auth/authentication.js';
import type { RequestContext } from '../context.js';
import { rootFieldNames } from '../root-fields.js';
import { refusedForCost } from './query-cost.js';
import { hit } from './rate-limits.js';

const WINDOW_SECONDS = 60;

/**
 * Mutations that take access away. They have a budget of their own, so that whoever holds
 * one of a principal's credentials cannot use up the budget the owner needs to revoke it.
 */
const REVOKING_MUTATIONS: ReadonlySet<string> = new Set([
  'deleteApiKey',
  'setApiKeyStatus',
  'rotateApiKey',
  'setAccessKeyStatus',
  'deleteAccessKey',
  'disableRamUser',
  'deleteRamUser',
  'deleteRamRole',
  'removeMember',
  'detachPolicy',
]);

/**
 * The inference proxies' per-call mutations: the workspace's own request and token windows count
 * them (src/usage/), at the rate of model calls, which a budget of mutations a minute would cap.
 */
const COUNTED_ELSEWHERE: ReadonlySet<string> = new Set(['authorizeModelCall', 'recordModelUsage']);

/** Each credential has its budget: an API key or AccessKey pair by its ID, a session by its principal. */
function credentialOf(auth: Authentication) {
  if (auth.apiKey) return { key: `api-key:${auth.apiKey.id}`, label: 'API key' };
  if (auth.accessKey) return { key: `access-key:${auth.accessKey.id}`, label: 'AccessKey pair' };
  return { key: `principal:${auth.principal.id}`, label: 'principal' };
}

function tooManyMutations(what: string, perMinute: number, label: string, retryAfterSeconds: number) {
  return new GraphQLError(`Too many ${what}: at most ${perMinute} a minute per ${label}; retry in ${retryAfterSeconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/**
 * Mutations per credential per minute, each root field counting once (aliases included), in
 * PostgreSQL so that every server process shares the count; revoking mutations are counted
 * apart. Checked once the operation is known and before anything runs: a refused request
 * writes nothing and answers 429 with `Retry-After`. Anonymous mutations (signUp, login) have
 * their own, per-address throttles.
 */
export function mutationThrottlePlugin(perMinute: number | null): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      if (perMinute === null) return {};
      return {
        async didResolveOperation({ operation, document, contextValue: ctx }) {
          if (operation?.operation !== 'mutation') return;
          // Each root field counts once, aliases included; `__typename` changes nothing.
          const fields = rootFieldNames(operation, document).filter((field) => field !== '__typename' && !COUNTED_ELSEWHERE.has(field));
          if (fields.length === 0) return;
          await settleAuthentication(ctx);
          if (!ctx.auth || refusedForCost(ctx)) return;
          const revoking = fields.filter((field) => REVOKING_MUTATIONS.has(field)).length;
          const budgets = [
            { what: 'mutations', prefix: 'mutations', count: fields.length - revoking },
            { what: 'revoking mutations', prefix: 'revocations', count: revoking },
          ];
          const credential = credentialOf(ctx.auth);
          for (const budget of budgets.filter((b) => b.count > 0)) {
            const limit = { key: `${budget.prefix}:${credential.key}`, max: perMinute, windowSeconds: WINDOW_SECONDS };
            const { hits, retryAfterSeconds } = await hit(ctx.db, limit, budget.count);
            if (hits <= perMinute) continue;
            ctx.metrics.denials.inc({ ability: 'mutation_rate', denial: 'RATE_LIMITED' });
            throw tooManyMutations(budget.what, perMinute, credential.label, retryAfterSeconds);
          }
        },
      };
    },
  };
}
