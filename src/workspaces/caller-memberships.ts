import { sql, type RawBuilder } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { revive, type JsonRow } from '../db/json-rows.js';
import type { DB } from '../db/database.js';
import { MEMBERSHIP_DATE_COLUMNS, type MembershipRow } from './workspaces.table.js';

/**
 * Every membership of the `principal` row in scope, as one JSON array in the order of
 * `findMembershipsByPrincipalIds`: a column of the statement that authenticates a caller, so
 * that a RAM user's decisions in its workspaces need no membership query of their own. A
 * principal is a member of at most the 20 workspaces of its account.
 */
export const membershipsOfPrincipalAsJson = (db: DB) =>
  jsonArrayFrom(
    db
      .selectFrom('membership')
      .selectAll()
      .where('membership.principal_id', '=', sql<string>`principal.id`)
      .orderBy('membership.created_at')
      .orderBy('membership.workspace_id'),
  ) as unknown as RawBuilder<Array<JsonRow<MembershipRow>>>;

export const membershipsFromJson = (rows: Array<JsonRow<MembershipRow>>): MembershipRow[] =>
  rows.map((row) => revive(row, MEMBERSHIP_DATE_COLUMNS));
