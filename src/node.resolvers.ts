import type { Resolvers } from './generated/graphql.generated.js';
import { findAuditEvent } from './audit/audit.repository.js';
import { notFound } from './errors.js';
import { ID_PREFIX, idKind } from './ids.js';

const NODE_TYPE = {
  account: 'Account',
  root: 'RootPrincipal',
  ramUser: 'RamUser',
  ramRole: 'RamRole',
  workspace: 'Workspace',
  apiKey: 'ApiKey',
  knowledgeBase: 'KnowledgeBase',
  auditEvent: 'AuditEvent',
} as const;

/** `node(id)`: the shield rule has already located the object and checked access to it. */
export const nodeResolvers: Resolvers = {
  Node: {
    __resolveType: (node: { id: string }) => {
      // Audit rows carry their numeric ID; every other row its prefixed global ID.
      const kind = idKind(node.id) ?? 'auditEvent';
      return NODE_TYPE[kind];
    },
  },
  Query: {
    node: async (_root, { id }, ctx) => {
      const l = ctx.loaders;
      switch (idKind(id)) {
        case 'account':
          return l.accountById.load(id);
        case 'root':
        case 'ramUser':
        case 'ramRole':
          return l.principalById.load(id);
        case 'workspace':
          return l.workspaceById.load(id);
        case 'apiKey':
          return l.apiKeyById.load(id);
        case 'knowledgeBase':
          return l.knowledgeBaseById.load(id);
        case 'auditEvent':
          // Another account's event reads exactly like one that does not exist.
          return (await findAuditEvent(ctx.db, ctx.auth!.principal.account_id, id.slice(ID_PREFIX.auditEvent.length))) ?? Promise.reject(notFound('Audit event'));
        default:
          return null;
      }
    },
  },
};
