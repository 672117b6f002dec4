import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import { settleAuthentication } from '../auth/authentication.js';
import type { RequestContext } from '../context.js';
import { hit } from './rate-limits.js';

const WINDOW_SECONDS = 60;

/** Root fields of a selection set, through fragments (validation has ruled out cycles). */
function countRootFields(selectionSet: SelectionSetNode, document: DocumentNode): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(selection.selectionSet, document);
    } else {
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) count += countRootFields(fragment.selectionSet, document);
    }
  }
  return count;
}

/**
 * Mutations per principal per minute, each root field counting once (aliases included), in
 * PostgreSQL so that every server process shares the count. Checked once the operation is
 * known and before anything runs: a refused request writes nothing and answers 429 with
 * `Retry-After`. Anonymous mutations (signUp, login) have their own, per-address throttles.
 */
export function mutationThrottlePlugin(perMinute: number | null): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      if (perMinute === null) return {};
      return {
        async didResolveOperation({ operation, document, contextValue: ctx }) {
          if (operation?.operation !== 'mutation') return;
          await settleAuthentication(ctx);
          if (!ctx.auth) return;
          const fields = countRootFields(operation.selectionSet, document);
          const limit = { key: `mutations:principal:${ctx.auth.principal.id}`, max: perMinute, windowSeconds: WINDOW_SECONDS };
          const { hits, retryAfterSeconds } = await hit(ctx.db, limit, fields);
          if (hits <= perMinute) return;
          ctx.metrics.denials.inc({ ability: 'mutation_rate', denial: 'RATE_LIMITED' });
          throw new GraphQLError(`Too many mutations: at most ${perMinute} a minute per principal; retry in ${retryAfterSeconds} s`, {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterSeconds,
              http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
            },
          });
        },
      };
    },
  };
}
