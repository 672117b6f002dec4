import type { Resolvers } from '../generated/graphql.generated.js';
import { badUserInput } from '../errors.js';
import { connection, type Cursor } from '../relay/connection.js';
import { auditEventId, changesView } from './audit-event-view.js';
import { checkedAuditCursor, checkedAuditFilter } from './audit-filter.js';
import { listAuditEvents } from './audit.repository.js';

/** A `before` cursor, checked as `after` ones are (`checkedAuditCursor`), its error naming `before`. */
function checkedBefore(cursor: Cursor | null): void {
  try {
    checkedAuditCursor(cursor);
  } catch {
    throw badUserInput('before', 'is not a cursor of this connection');
  }
}

export const auditResolvers: Resolvers = {
  AuditEvent: {
    id: auditEventId,
    changes: (e) => changesView(e.changes),
  },
  Query: {
    auditEvents: (_root, args, ctx) => {
      const filter = checkedAuditFilter(args.filter ?? {}, 'filter.');
      return connection(
        args,
        (page) => {
          checkedAuditCursor(page.after);
          checkedBefore(page.before ?? null);
          return listAuditEvents(ctx.db, ctx.auth.principal.account_id, filter, page);
        },
        (e) => ['', e.id],
      );
    },
  },
};
