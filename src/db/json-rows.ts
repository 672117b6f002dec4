/**
 * Rows that PostgreSQL sends as one JSON value (`jsonArrayFrom`, `jsonBuildObject` of
 * kysely/helpers/postgres), for list pages of joined rows. One JSON text is parsed natively, where
 * the wire protocol's rows cost a string, a type parser and a property per column: on the
 * console's members page (100 members with principals and keys) node-pg's parsing was 10% of the
 * gateway's CPU in issue #16's profile, and much of its 22% of GC. JSON carries timestamps as ISO text; `revive` turns them back into
 * the Dates the driver would have given, so a row read either way is the same row.
 */

/** The columns of a row that hold timestamps. */
export type DateColumn<Row> = { [K in keyof Row]-?: NonNullable<Row[K]> extends Date ? K : never }[keyof Row] & string;

/** A row as JSON carries it: timestamps as text. */
export type JsonRow<Row> = { [K in keyof Row]: NonNullable<Row[K]> extends Date ? (null extends Row[K] ? string | null : string) : Row[K] };

/**
 * Every timestamp column of `Row`, checked by the compiler: a list that misses one does not
 * compile, so a column added to a table cannot come back as text.
 */
export const dateColumns =
  <Row>() =>
  <const Columns extends ReadonlyArray<DateColumn<Row>>>(
    ...columns: Columns & ([Exclude<DateColumn<Row>, Columns[number]>] extends [never] ? unknown : 'a timestamp column is missing')
  ): ReadonlyArray<DateColumn<Row>> =>
    columns;

/** The row with its timestamp columns as Dates (in place: the JSON row is not kept). */
export function revive<Row>(row: JsonRow<Row>, columns: ReadonlyArray<DateColumn<Row>>): Row {
  const record = row as Record<string, unknown>;
  for (const column of columns) {
    const value = record[column];
    if (typeof value === 'string') record[column] = new Date(value);
  }
  return row as Row;
}
