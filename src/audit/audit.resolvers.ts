import { badUserInput } from '../errors.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import { ID_PREFIX } from '../ids.js';
import { pageRequest, toConnection } from '../relay/connection.js';
import { listAuditEvents } from './audit.repository.js';

export const auditResolvers: Resolvers = {
  AuditEvent: {
    id: (e) => `${ID_PREFIX.auditEvent}${e.id}`,
    actorId: (e) => e.actor_id,
    onBehalfOfId: (e) => e.on_behalf_of_id,
    resourceId: (e) => e.resource_id,
    sourceIp: (e) => e.source_ip,
    createdAt: (e) => e.created_at,
  },
  Query: {
    auditEvents: async (_root, args, ctx) => {
      const page = pageRequest(args);
      if (page.after && !/^[0-9a-f]{32}$/.test(page.after[1])) throw badUserInput('after', 'is not a cursor of this connection');
      for (const [field, value] of Object.entries(args.filter ?? {})) {
        if (typeof value === 'string' && value.length > 128) throw badUserInput(`filter.${field}`, 'must be at most 128 characters');
      }
      const rows = await listAuditEvents(ctx.db, ctx.auth.principal.account_id, args.filter ?? {}, page);
      return toConnection(rows, page.limit, (e) => ['', e.id]);
    },
  },
};
