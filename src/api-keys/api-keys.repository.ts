import { type Compilable, type RawBuilder, sql } from 'kysely';
import type { DB } from '../db/database.js';
import { preparedStatement } from '../db/prepared-statements.js';
import { pairIn } from '../db/row-comparisons.js';
import { pickColumns } from '../db/pick-columns.js';
import type { ListFilter } from '../policy/index.js';
import { joinedPrincipalColumns, principalFromRow } from '../identity/identity.repository.js';
import type { PrincipalView } from '../identity/identity.table.js';
import { newId } from '../ids.js';
import { creationPage, type PageRequest } from '../relay/connection.js';
import type { TemporaryKeyClaims } from '../auth/session.js';
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
  'enabled',
  'expires_at',
  'last_used_at',
  'secret_generation',
  'previous_secret_hash',
  'previous_secret_expires_at',
] as const;

/** How a request presented its API key: the secret's hash, or a verified temporary key's claims. */
export type PresentedApiKey = { secretHash: string } | { temporary: TemporaryKeyClaims };

/** The first 64 bits of a hex secret hash (a column or a value), as `api_key_secret_prefix_idx` indexes them (migration 0015). */
const keyHashPrefix = (hash: RawBuilder<string> | string) => sql`(('x' || left(${hash}, 16))::bit(64)::bigint)`;

/**
 * The condition that finds the row of a presented key (`keyAlias`), live, by a secret that still
 * works: the current one, or the one a rotation replaced, until its grace period ends. A
 * temporary key works while the secret generation it was derived from does.
 */
export function presentedKeyMatches(presented: PresentedApiKey, keyAlias: string) {
  const column = (name: string) => sql.ref(`${keyAlias}.${name}`);
  const inGrace = sql`${column('previous_secret_expires_at')} > now()`;
  const match =
    'secretHash' in presented
      ? sql`((${keyHashPrefix(sql<string>`${column('secret_hash')}`)} = ${keyHashPrefix(presented.secretHash)} and ${column('secret_hash')} = ${presented.secretHash}) or (${column('previous_secret_hash')} = ${presented.secretHash} and ${inGrace}))`
      : sql`(${column('id')} = ${presented.temporary.apiKeyId} and (${column('secret_generation')} = ${presented.temporary.generation} or (${column('secret_generation')} = ${presented.temporary.generation}::int + 1 and ${inGrace})))`;
  return sql<boolean>`${match} and ${column('deleted_at')} is null`;
}

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

/**
 * A statement of the hot path that finds a presented key, built once for each kind of key (a
 * secret, a temporary key): `presentedKeyMatches` with the key's values as the statement's
 * parameters (`preparedStatement`). `query` builds the rest around the condition, with `Extra`
 * values of its own.
 */
export function presentedKeyStatements<Extra extends Record<string, string>, Row>(
  name: string,
  query: (db: DB, matches: RawBuilder<boolean>, extra: Extra) => Compilable<Row>,
): (db: DB, presented: PresentedApiKey, extra: Extra) => Promise<Row[]> {
  const bySecret = preparedStatement(name, (db: DB, v: Extra & { secretHash: string }) =>
    query(db, presentedKeyMatches({ secretHash: v.secretHash }, 'k'), v),
  );
  const byTemporaryKey = preparedStatement(name, (db: DB, v: Extra & { apiKeyId: string; generation: number }) =>
    query(db, presentedKeyMatches({ temporary: { apiKeyId: v.apiKeyId, generation: v.generation } }, 'k'), v),
  );
  return (db, presented, extra) =>
    'secretHash' in presented
      ? bySecret(db, { ...extra, secretHash: presented.secretHash })
      : byTemporaryKey(db, { ...extra, ...presented.temporary });
}

const presentedApiKey = presentedKeyStatements('api_key_authentication', (db, matches) =>
  db
    .selectFrom('api_key as k')
    .innerJoin('principal', 'principal.id', 'k.owner_id')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .select(foundApiKeyColumns('k'))
    .where(matches),
);

/** A presented live key, with its owner and standing (the authentication path: one statement). */
export async function findPresentedApiKey(db: DB, presented: PresentedApiKey): Promise<FoundApiKey | null> {
  const [row] = await presentedApiKey(db, presented, {});
  return row ? foundApiKeyFromRow(row as Record<string, unknown>) : null;
}

export const findLiveApiKeysByIds = (db: DB, ids: readonly string[]) =>
  db.selectFrom('api_key').selectAll().where('id', 'in', ids).where('deleted_at', 'is', null).execute();

export async function listApiKeys(db: DB, workspaceId: string, visible: ListFilter, page: PageRequest): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('api_key').selectAll().where('workspace_id', '=', workspaceId).where('deleted_at', 'is', null);
  if (visible.kind === 'OWNED_BY') query = query.where('owner_id', '=', visible.principalId);
  return creationPage(query, page, ['created_at', 'id']).execute();
}

export const insertApiKey = (
  db: DB,
  row: Pick<
    ApiKeyRow,
    | 'account_id'
    | 'workspace_id'
    | 'owner_id'
    | 'description'
    | 'secret_prefix'
    | 'secret_hash'
    | 'model_scope'
    | 'ip_allowlist'
    | 'expires_at'
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

export type ApiKeyChanges = Partial<Pick<ApiKeyRow, 'description' | 'model_scope' | 'ip_allowlist' | 'expires_at' | 'enabled'>>;

/** Changes a live key; null when it is deleted. */
export const updateApiKey = (db: DB, id: string, changes: ApiKeyChanges) =>
  db.updateTable('api_key').set(changes).where('id', '=', id).where('deleted_at', 'is', null).returningAll().executeTakeFirst();

/**
 * Replaces a live key's secret. The replaced one is kept for `graceSeconds` (none: dropped at
 * once); a secret still in its grace period from an earlier rotation stops now.
 */
export const rotateApiKeySecret = (db: DB, id: string, secret: { prefix: string; hash: string }, graceSeconds: number) =>
  db
    .updateTable('api_key')
    .set((eb) => ({
      secret_hash: secret.hash,
      secret_prefix: secret.prefix,
      secret_generation: eb('secret_generation', '+', 1),
      previous_secret_hash: graceSeconds > 0 ? eb.ref('secret_hash') : null,
      previous_secret_expires_at: graceSeconds > 0 ? sql<Date>`now() + make_interval(secs => ${graceSeconds})` : null,
    }))
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
