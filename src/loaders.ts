import type { DB } from './db/database.js';
import { createAccessKeyLoaders } from './access-keys/access-keys.loaders.js';
import { createApiKeyLoaders } from './api-keys/api-keys.loaders.js';
import { createIdentityLoaders } from './identity/identity.loaders.js';
import { createKnowledgeBaseLoaders } from './knowledge-bases/knowledge-bases.loaders.js';
import { createModelLoaders } from './models/models.loaders.js';
import { createUsageLoaders } from './usage/usage.loaders.js';
import { createWorkspaceLoaders } from './workspaces/workspaces.loaders.js';

/** Each domain's loaders, made together (a group's loaders may share one, as policies share principals'). */
const groups = [
  createIdentityLoaders,
  createWorkspaceLoaders,
  createModelLoaders,
  createApiKeyLoaders,
  createAccessKeyLoaders,
  createKnowledgeBaseLoaders,
  createUsageLoaders,
] as const;

type Group = (typeof groups)[number];
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** Per-request loaders: every read of a request goes through these or a repository function. */
export type Loaders = Intersection<ReturnType<Group>>;

/**
 * The loaders' names, each a getter that makes its group on first use, for the request's
 * database, and keeps it (as the request's own properties, which the getters no longer reach).
 * A request uses a few of some forty loaders: making only those served 1.17 × modelAccess's
 * requests against making them all (the README's issue #16 table). Making a group reads nothing,
 * so the names are learnt from groups made for no database.
 */
const lazyLoaders: object = Object.create(null);
for (const make of groups) {
  for (const name of Object.keys(make(null as unknown as DB))) {
    Object.defineProperty(lazyLoaders, name, {
      get(this: { db: DB }) {
        const made = make(this.db);
        for (const [madeName, loader] of Object.entries(made)) {
          Object.defineProperty(this, madeName, { value: loader, enumerable: true });
        }
        return made[name as keyof typeof made];
      },
    });
  }
}

export function createLoaders(db: DB): Loaders {
  return Object.create(lazyLoaders, { db: { value: db } }) as Loaders;
}

/** Empties every loader a request has made (after a committed change), keeping the same objects. */
export function forgetLoadedRows(loaders: Loaders): void {
  for (const loader of Object.values(loaders)) if ('clearAll' in loader) loader.clearAll();
}
