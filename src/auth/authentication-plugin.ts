import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import { rootFieldNames } from '../root-fields.js';
import { settleAuthentication } from './authentication.js';

/** `modelAccess` and `authorizeModelCall` look their key up together with every fact of the call, in one statement. */
const SETTLES_ITS_OWN_KEY: ReadonlySet<string> = new Set(['modelAccess', 'authorizeModelCall', '__typename']);

/**
 * Authentication is settled once the operation is known and before anything runs: rules and
 * resolvers find `ctx.auth` as it stays for the whole request. Sessions are settled while the
 * context is built; an API key here, by one statement. The one exception is an operation that
 * asks only `modelAccess`, the inference proxies' hot path, which settles its key in the same
 * statement as the facts of the call.
 */
export function authenticationPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (operation && rootFieldNames(operation, document).every((field) => SETTLES_ITS_OWN_KEY.has(field))) return;
          await settleAuthentication(contextValue);
        },
      };
    },
  };
}
