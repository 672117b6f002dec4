import { listFilterInWorkspace } from '../access/decide-for.js';
import type { Resolvers } from '../generated/graphql.generated.js';
import * as apiKeys from './api-keys.service.js';
import { apiKeysKey } from './api-keys.loaders.js';
import { mustExist } from '../db/must-exist.js';
import { andThen } from '../known-loader.js';

export const apiKeyResolvers: Resolvers = {
  ApiKey: {
    prefix: (k) => k.secret_prefix,
    workspace: (k, _args, ctx) => andThen(ctx.loaders.workspaceById.loadNow(k.workspace_id), (w) => mustExist(w, 'workspace')),
    owner: (k, _args, ctx) => andThen(ctx.loaders.principalById.loadNow(k.owner_id), (p) => mustExist(p, 'principal')),
    status: (k, _args, ctx) => apiKeys.apiKeyStatusOf(ctx, k),
  },
  Membership: {
    // Key managers see every member's keys; anyone else only their own.
    // A page of members primes their keys: no promise when the filter needs no I/O either.
    apiKeys: (m, _args, ctx) =>
      andThen(listFilterInWorkspace(ctx, 'list_api_keys', m.workspace_id), (visible) =>
        visible.kind === 'OWNED_BY' && visible.principalId !== m.principal_id
          ? []
          : ctx.loaders.apiKeysByWorkspaceOwner.loadNow(apiKeysKey(m.workspace_id, m.principal_id)),
      ),
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
