/**
 * Every column of `Row`, checked by the compiler: a list that misses one does not compile, so a
 * column added to a table cannot go missing from the statements that name their columns
 * (prepared statements do, so that a column added by a later migration cannot change their
 * result while a gateway that prepared them still runs).
 */
export const allColumns =
  <Row>() =>
  <const Columns extends ReadonlyArray<keyof Row & string>>(
    ...columns: Columns & ([Exclude<keyof Row & string, Columns[number]>] extends [never] ? unknown : 'a column is missing')
  ): Columns =>
    columns;
