import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { pairIn } from '../db/row-comparisons.js';
import { pickColumns } from '../db/pick-columns.js';
import type { ListFilter } from '../policy/index.js';
import { joinedPrincipalColumns, principalFromRow } from '../identity/identity.repository.js';
import type { PrincipalView } from '../identity/identity.table.js';
import { newId } from '../ids.js';
import { afterCreation, type PageRequest } from '../relay/connection.js';
import type { ApiKeyRow } from './api-keys.table.js';

/** A live key with what decides whether its owner still stands behind it. */
export interface FoundApiKey {
  key: ApiKeyRow;
  owner: PrincipalView;
  ownerIsMember: boolean;
}

const API_KEY_COLUMNS = [
  'id',
  'account_id',
  'workspace_id',
  'owner_id',
  'description',
  'secret_prefix',
  'secret_hash',
  'model_scope',
  'ip_allowlist',
  'created_at',
  'deleted_at',
] as const;

/**
 * What every statement that authenticates a key selects, the key being `keyAlias`: the key's
 * columns, its owner's (with `principal` and `account` joined) and whether the owner is a member
 * of the key's workspace. `foundApiKeyFromRow` reads them back.
 */
export const foundApiKeyColumns = (keyAlias: string) => [
  ...API_KEY_COLUMNS.map((column) => sql.ref(`${keyAlias}.${column}`).as(`key__${column}`)),
  ...joinedPrincipalColumns,
  sql<boolean>`exists (select 1 from membership where membership.workspace_id = ${sql.ref(`${keyAlias}.workspace_id`)} and membership.principal_id = ${sql.ref(`${keyAlias}.owner_id`)})`.as(
    'owner_is_member',
  ),
];

export const foundApiKeyFromRow = (row: Record<string, unknown>): FoundApiKey => ({
  key: pickColumns<ApiKeyRow>(row, 'key__', API_KEY_COLUMNS),
  owner: principalFromRow(row),
  ownerIsMember: row.owner_is_member === true,
});

/** A live key by the hash of its secret, with its owner and standing (the authentication path: one statement). */
export async function findLiveApiKeyBySecretHash(db: DB, secretHash: string): Promise<FoundApiKey | null> {
  const row = await db
    .selectFrom('api_key as k')
    .innerJoin('principal', 'principal.id', 'k.owner_id')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .select(foundApiKeyColumns('k'))
    .where('k.secret_hash', '=', secretHash)
    .where('k.deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? foundApiKeyFromRow(row as Record<string, unknown>) : null;
}

export const findLiveApiKeysByIds = (db: DB, ids: readonly string[]) =>
  db.selectFrom('api_key').selectAll().where('id', 'in', ids).where('deleted_at', 'is', null).execute();

export async function listApiKeys(db: DB, workspaceId: string, visible: ListFilter, page: PageRequest): Promise<ApiKeyRow[]> {
  let query = db
    .selectFrom('api_key')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit + 1);
  if (visible.kind === 'OWNED_BY') query = query.where('owner_id', '=', visible.principalId);
  if (page.after) query = query.where(afterCreation(page.after, ['created_at', 'id']));
  return query.execute();
}

export const insertApiKey = (
  db: DB,
  row: Pick<
    ApiKeyRow,
    'account_id' | 'workspace_id' | 'owner_id' | 'description' | 'secret_prefix' | 'secret_hash' | 'model_scope' | 'ip_allowlist'
  >,
) =>
  db
    .insertInto('api_key')
    .values({ id: newId('apiKey'), ...row, deleted_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();

/** Deletes (for good) and frees the workspace's slot. Null when already deleted. */
export async function deleteApiKey(db: DB, id: string): Promise<ApiKeyRow | null> {
  const key = await db
    .updateTable('api_key')
    .set({ deleted_at: new Date() })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!key) return null;
  await db
    .updateTable('workspace')
    .set((eb) => ({ api_key_count: eb('api_key_count', '-', 1) }))
    .where('id', '=', key.workspace_id)
    .execute();
  return key;
}

/** Live keys by (workspace, owner) pairs, oldest first. */
export async function findLiveApiKeysByWorkspaceOwners(db: DB, pairs: ReadonlyArray<readonly [string, string]>): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_key')
    .selectAll()
    .where(pairIn(['workspace_id', 'owner_id'], pairs))
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
