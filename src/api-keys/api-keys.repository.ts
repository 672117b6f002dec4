import { type AliasedRawBuilder, type Compilable, type RawBuilder, sql } from 'kysely';
import type { DB } from '../db/database.js';
import { coalesced, type SharedReads } from '../db/coalesced-statements.js';
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
const keyHashPrefix = (hash: RawBuilder<string>) => sql`(('x' || left(${hash}, 16))::bit(64)::bigint)`;

/**
 * The condition that finds the row `k` of a presented key `p` (`presentedKeys`), live, by a
 * secret that still works: the current one, or the one a rotation replaced, until its grace
 * period ends. A temporary key works while the secret generation it was derived from does.
 */
function presentedKeyMatches(kind: 'secret' | 'temporary') {
  const k = (name: string) => sql.ref(`k.${name}`);
  const p = (name: string) => sql.ref(`p.${name}`);
  const inGrace = sql`${k('previous_secret_expires_at')} > now()`;
  const match =
    kind === 'secret'
      ? sql`((${keyHashPrefix(sql<string>`${k('secret_hash')}`)} = ${keyHashPrefix(sql<string>`${p('hash')}`)} and ${k('secret_hash')} = ${p('hash')}) or (${k('previous_secret_hash')} = ${p('hash')} and ${inGrace}))`
      : sql`(${k('id')} = ${p('api_key_id')} and (${k('secret_generation')} = ${p('generation')} or (${k('secret_generation')} = ${p('generation')} + 1 and ${inGrace})))`;
  return sql<boolean>`${match} and ${k('deleted_at')} is null`;
}

/**
 * What every statement that finds presented keys selects, the key being `keyAlias`: which
 * presented key the row answers (`presented_n`), the key's columns, its owner's (with
 * `principal` and `account` joined) and whether the owner is a member of the key's workspace.
 * `foundApiKeyFromRow` reads them back.
 */
export const foundApiKeyColumns = (keyAlias: string) => [
  sql<number>`p.n::int`.as('presented_n'),
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

/** The keys a statement looks up (`presentedKeyStatements`): its first from-item, and how a key's row joins it. */
export interface PresentedKeys {
  /** `p`: one row per presented key, numbered `n` from 1 in the order given, with its extra values as columns. */
  from: AliasedRawBuilder<Record<string, unknown>, 'p'>;
  /** The condition on `k`, the key's row. */
  matches: RawBuilder<boolean>;
  /** An extra value of the presented key (a model's ID). */
  extra: (name: string) => RawBuilder<string>;
}

/** `p`, from lists of equal length (`${marker}::text[]`, as `preparedStatement` binds them). */
const presentedRows = (columns: ReadonlyArray<readonly [string, RawBuilder<unknown>]>): PresentedKeys['from'] =>
  sql<
    Record<string, unknown>
  >`(select * from unnest(${sql.join(columns.map(([, list]) => list))}) with ordinality as p(${sql.raw(columns.map(([name]) => name).join(', '))}, n))`.as(
    'p',
  );

type Lists = Record<string, readonly string[] | readonly number[]>;

/**
 * The statements of the hot path that find presented keys, one for each kind of key (a secret,
 * a temporary key), built once (`preparedStatement`) around `query`, which selects
 * `foundApiKeyColumns` and whatever else it joins. Concurrent requests' lookups run together
 * (`coalesced`): the keys, and their values named in `extraNames`, come as lists the statement
 * unnests.
 */
export function presentedKeyStatements<ExtraName extends string, Row extends { presented_n: number }>(
  name: string,
  extraNames: readonly ExtraName[],
  query: (db: DB, presented: PresentedKeys) => Compilable<Row>,
): (reads: SharedReads, presented: PresentedApiKey, extra: Record<ExtraName, string>) => Promise<Row[]> {
  const statement = (kind: 'secret' | 'temporary', keyColumns: ReadonlyArray<readonly [string, 'text' | 'int']>) => {
    const columns = [...keyColumns, ...extraNames.map((extra) => [extra, 'text'] as const)];
    const run = preparedStatement(name, (db: DB, lists: Lists) =>
      query(db, {
        from: presentedRows(columns.map(([column, type]) => [column, sql`${lists[column]}::${sql.raw(type)}[]`] as const)),
        matches: presentedKeyMatches(kind),
        extra: (extra) => sql<string>`${sql.ref(`p.${extra}`)}`,
      }),
    );
    return coalesced(async (db, inputs: Record<string, string | number>[]) => {
      const lists = Object.fromEntries(columns.map(([column]) => [column, inputs.map((input) => input[column])])) as Lists;
      const answers: Row[][] = inputs.map(() => []);
      for (const row of await run(db, lists)) answers[row.presented_n - 1]?.push(row);
      return answers;
    });
  };
  const bySecret = statement('secret', [['hash', 'text']]);
  const byTemporaryKey = statement('temporary', [
    ['api_key_id', 'text'],
    ['generation', 'int'],
  ]);
  return (reads, presented, extra) =>
    'secretHash' in presented
      ? bySecret(reads, { ...extra, hash: presented.secretHash })
      : byTemporaryKey(reads, { ...extra, api_key_id: presented.temporary.apiKeyId, generation: presented.temporary.generation });
}

const presentedApiKey = presentedKeyStatements('api_key_authentication', [], (db, presented) =>
  db
    .selectFrom(presented.from)
    .innerJoin('api_key as k', (join) => join.on(presented.matches))
    .innerJoin('principal', 'principal.id', 'k.owner_id')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .select(foundApiKeyColumns('k')),
);

/** A presented live key, with its owner and standing (the authentication path: one statement, shared with concurrent requests). */
export async function findPresentedApiKey(reads: SharedReads, presented: PresentedApiKey): Promise<FoundApiKey | null> {
  const [row] = await presentedApiKey(reads, presented, {});
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
