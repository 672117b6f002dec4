import { sql } from 'kysely';
import { coalesced, rowsByInput, type SharedReads } from '../db/coalesced-statements.js';
import type { DB } from '../db/database.js';
import { pickColumns } from '../db/pick-columns.js';
import { preparedStatement } from '../db/prepared-statements.js';
import { joinedPrincipalColumns, principalFromRow } from '../identity/identity.repository.js';
import type { PrincipalView } from '../identity/identity.table.js';
import { newId } from '../ids.js';
import { membershipsFromJson, membershipsOfPrincipalAsJson } from '../workspaces/caller-memberships.js';
import type { MembershipRow } from '../workspaces/workspaces.table.js';
import type { AccessKeyRow, AccessKeyStatus } from './access-keys.table.js';

/** A RAM user has at most two AccessKey pairs (Alibaba Cloud's limit: one to use, one to rotate to). */
export const ACCESS_KEYS_PER_USER = 2;

export const findAccessKeysByIds = (db: DB, ids: readonly string[]) =>
  db.selectFrom('access_key').selectAll().where('id', 'in', ids).execute();

export const findAccessKeysByPrincipalIds = (db: DB, principalIds: readonly string[]) =>
  db.selectFrom('access_key').selectAll().where('principal_id', 'in', principalIds).orderBy('created_at').orderBy('id').execute();

export async function countAccessKeys(db: DB, principalId: string): Promise<number> {
  const { count } = await db
    .selectFrom('access_key')
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('count'))
    .where('principal_id', '=', principalId)
    .executeTakeFirstOrThrow();
  return count;
}

export const insertAccessKey = (db: DB, row: Pick<AccessKeyRow, 'account_id' | 'principal_id' | 'secret_hash'>) =>
  db
    .insertInto('access_key')
    .values({ id: newId('accessKey'), ...row })
    .returningAll()
    .executeTakeFirstOrThrow();

export const setAccessKeyStatus = (db: DB, id: string, status: AccessKeyStatus) =>
  db.updateTable('access_key').set({ status }).where('id', '=', id).returningAll().executeTakeFirst();

export const deleteAccessKey = (db: DB, id: string) => db.deleteFrom('access_key').where('id', '=', id).returningAll().executeTakeFirst();

/** Holds a user's row against concurrent creations, so that two at once cannot both see one pair and make three. */
export const lockUserForKeyCreation = (db: DB, principalId: string) =>
  db.selectFrom('principal').select('status').where('id', '=', principalId).forUpdate().executeTakeFirst();

const ACCESS_KEY_COLUMNS = ['id', 'account_id', 'principal_id', 'secret_hash', 'status', 'created_at', 'last_used_at'] as const;

/** Pairs with their users (the authentication path: one prepared statement, shared with concurrent requests). */
const accessKeysWithUsers = preparedStatement('access_key_authentication', (db: DB, { ids }: { ids: readonly string[] }) =>
  db
    .selectFrom('access_key as ak')
    .innerJoin('principal', 'principal.id', 'ak.principal_id')
    .innerJoin('account', 'account.id', 'principal.account_id')
    .select(ACCESS_KEY_COLUMNS.map((column) => sql.ref(`ak.${column}`).as(`access_key__${column}`)))
    .select(joinedPrincipalColumns)
    .select(membershipsOfPrincipalAsJson(db).as('memberships'))
    .where(sql<boolean>`ak.id = any(${ids}::text[])`),
);

/** Concurrent requests' pairs, read together (`coalesced`), as sessions' principals are. */
const presentedAccessKeys = coalesced(async (db: DB, inputs: ReadonlyArray<readonly string[]>) =>
  rowsByInput(inputs, await accessKeysWithUsers(db, { ids: [...new Set(inputs.flat())] }), (row) => row.access_key__id as string),
);

/** A pair, its user and the user's memberships: what every request it signs needs. */
export async function findAccessKeyWithUser(
  reads: SharedReads,
  accessKeyId: string,
): Promise<{ accessKey: AccessKeyRow; user: PrincipalView; memberships: MembershipRow[] } | null> {
  const [row] = await presentedAccessKeys(reads, [accessKeyId]);
  if (!row) return null;
  const raw = row as Record<string, unknown>;
  return {
    accessKey: pickColumns<AccessKeyRow>(raw, 'access_key__', ACCESS_KEY_COLUMNS),
    user: principalFromRow(raw),
    memberships: membershipsFromJson(row.memberships),
  };
}
