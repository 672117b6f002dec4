import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { ReadRouting } from './read-routing.js';

export const CONSISTENCY_TOKEN_HEADER = 'x-consistency-token';

/**
 * A response whose request committed a permission write raises the watermark before it leaves
 * (so that no gateway reads a replica that has not replayed the write) and carries the writer's
 * consistency token, in the `x-consistency-token` header and `extensions.consistencyToken`. With
 * `exposeReader` (tests, benchmark), `x-database-reader` says which server the reads went to.
 */
export function consistencyPlugin(routing: ReadRouting, logger: Logger, exposeReader: boolean): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue: ctx }) {
          if (exposeReader) response.http.headers.set('x-database-reader', ctx.consistency.servedBy());
          if (!ctx.consistency.committedWrite) return;
          let token: string;
          try {
            token = await routing.published();
          } catch (error) {
            // Committed, not published (the primary went away after the commit): a replica behind the write
            // may serve reads that do not show it until it replays it. docs/deployment.md, failure modes.
            logger.error({ err: error, requestId: ctx.requestId }, 'could not raise the consistency watermark');
            return;
          }
          response.http.headers.set(CONSISTENCY_TOKEN_HEADER, token);
          if (response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, consistencyToken: token };
          }
        },
      };
    },
  };
}
