import type { Resolvers } from '../generated/graphql.generated.js';
import { connection } from '../relay/connection.js';
import { auditEventId, changesView } from './audit-event-view.js';
import { checkedAuditCursor, checkedAuditFilter } from './audit-filter.js';
import { listAuditEvents } from './audit.repository.js';

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
          return listAuditEvents(ctx.db, ctx.auth.principal.account_id, filter, page);
        },
        (e) => ['', e.id],
      );
    },
  },
};
