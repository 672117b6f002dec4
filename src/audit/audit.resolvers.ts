import { badUserInput } from '../errors.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import { connection } from '../relay/connection.js';
import { auditEventId, changesView } from './audit-event-view.js';
import { listAuditEvents } from './audit.repository.js';

export const auditResolvers: Resolvers = {
  AuditEvent: {
    id: auditEventId,
    changes: (e) => changesView(e.changes),
  },
  Query: {
    auditEvents: (_root, args, ctx) => {
      for (const [field, value] of Object.entries(args.filter ?? {})) {
        if (typeof value === 'string' && value.length > 128) throw badUserInput(`filter.${field}`, 'must be at most 128 characters');
      }
      return connection(
        args,
        (page) => {
          if (page.after && !/^[0-9a-f]{32}$/.test(page.after[1])) throw badUserInput('after', 'is not a cursor of this connection');
          return listAuditEvents(ctx.db, ctx.auth.principal.account_id, args.filter ?? {}, page);
        },
        (e) => ['', e.id],
      );
    },
  },
};
