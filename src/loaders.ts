import type { DB } from './db/database.js';
import { createAccessKeyLoaders } from './access-keys/access-keys.loaders.js';
import { createApiKeyLoaders } from './api-keys/api-keys.loaders.js';
import { createIdentityLoaders } from './identity/identity.loaders.js';
import { createKnowledgeBaseLoaders } from './knowledge-bases/knowledge-bases.loaders.js';
import { createModelLoaders } from './models/models.loaders.js';
import { createUsageLoaders } from './usage/usage.loaders.js';
import { createWorkspaceLoaders } from './workspaces/workspaces.loaders.js';

/** Per-request loaders: every read of a request goes through these or a repository function. */
export function createLoaders(db: DB) {
  return {
    ...createIdentityLoaders(db),
    ...createWorkspaceLoaders(db),
    ...createModelLoaders(db),
    ...createApiKeyLoaders(db),
    ...createAccessKeyLoaders(db),
    ...createKnowledgeBaseLoaders(db),
    ...createUsageLoaders(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Empties every loader of a request (after a committed change), keeping the same objects. */
export function forgetLoadedRows(loaders: Loaders): void {
  for (const loader of Object.values(loaders)) if ('clearAll' in loader) loader.clearAll();
}
