import { listFilterInWorkspace } from '../access/decide-for.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import * as apiKeys from './api-keys.service.js';
import { apiKeysKey } from './api-keys.loaders.js';
import type { RequestContext } from '../context.js';
import type { ListFilter } from '../policy/index.js';
import type { MembershipRow } from '../workspaces/workspaces.table.js';

export const apiKeyResolvers: Resolvers = {
  ApiKey: {
    prefix: (k) => k.secret_prefix,
    workspace: (k, _args, ctx) => ctx.loaders.workspaceById.loadExisting(k.workspace_id, 'workspace'),
    owner: (k, _args, ctx) => ctx.loaders.principalById.loadExisting(k.owner_id, 'principal'),
    status: (k, _args, ctx) => apiKeys.apiKeyStatusOf(ctx, k),
  },
  Membership: {
    // Key managers see every member's keys; anyone else only their own.
    // A page of members primes their keys: no promise when the filter needs no I/O either.
    apiKeys: (m, _args, ctx) => {
      const visible = listFilterInWorkspace(ctx, 'list_api_keys', m.workspace_id);
      return visible instanceof Promise ? visible.then((known) => keysOfMember(ctx, m, known)) : keysOfMember(ctx, m, visible);
    },
  },
  Mutation: {
    createApiKey: (_root, { input }, ctx) => apiKeys.createApiKey(ctx, input),
    updateApiKey: (_root, { input }, ctx) => apiKeys.updateApiKey(ctx, input),
    setApiKeyStatus: (_root, { input }, ctx) => apiKeys.setApiKeyStatus(ctx, input),
    rotateApiKey: (_root, { input }, ctx) => apiKeys.rotateApiKey(ctx, input),
    createTemporaryApiKey: (_root, { input }, ctx) => apiKeys.createTemporaryApiKey(ctx, input),
    deleteApiKey: (_root, { id }, ctx) => apiKeys.deleteApiKey(ctx, id),
  },
};

/** A member's keys as `visible` lets the caller see them: every member's, or only its own. */
const keysOfMember = (ctx: RequestContext, member: MembershipRow, visible: ListFilter) =>
  visible.kind === 'OWNED_BY' && visible.principalId !== member.principal_id
    ? []
    : ctx.loaders.apiKeysByWorkspaceOwner.loadNow(apiKeysKey(member.workspace_id, member.principal_id));
