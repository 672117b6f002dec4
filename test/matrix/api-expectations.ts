import { defined } from '../helpers/assertions.js';
import { COLUMN_NAMES, COLUMNS, PERMISSION_MATRIX, expectedCell, type ColumnName } from './permission-matrix.js';

/**
 * permission-matrix.ts (the spec as data) as the API answers it, for each operation of
 * OPERATIONS. A: allowed. D: FORBIDDEN. NF: NOT_FOUND. BAD: BAD_USER_INPUT. '-': not
 * applicable. List rows give the scope seen: ALL, OWN (own items only), NONE (empty list).
 * ISO: the operation names no resource of account A (X acts in its own account): the answer
 * must contain nothing of A and A must be unchanged.
 */
export type Expected = 'A' | 'D' | 'NF' | 'BAD' | '-' | 'ALL' | 'OWN' | 'NONE' | 'ISO';

/** Operations whose request names no resource of account A: for X they are isolation checks. */
const NAMES_NO_RESOURCE = new Set(['1', '2', '4', '6.createRamUser', '6.createRamRole', '24']);

/** Each operation of OPERATIONS and the matrix row it performs. */
const OPERATION_ROWS: Record<string, number> = {
  '1': 1,
  '2': 2,
  '3': 3,
  '4': 4,
  '5': 5,
  '6.createRamUser': 6,
  '6.disableRamUser': 6,
  '6.enableRamUser': 6,
  '6.deleteRamUser': 6,
  '6.createRamRole': 6,
  '6.deleteRamRole': 6,
  '7': 7,
  '7.detach': 7,
  '8': 8,
  '8.detach': 8,
  '9': 9,
  '10': 10,
  '11': 11,
  '11.take': 11,
  '12': 12,
  '13': 13,
  '14': 14,
  '14.all': 14,
  '15': 15,
  '15.delete': 15,
  '16': 16,
  '16.rateLimit': 16,
  '17': 17,
  '18': 18,
  '19': 19,
  '20': 20,
  '21': 21,
  '22': 22,
  '22.delete': 22,
  '23': 23,
  '24': 24,
  '25': 25,
};

function apiCell(operation: string, row: number, column: ColumnName): Expected {
  const cell = expectedCell(
    defined(
      PERMISSION_MATRIX.find((r) => r.row === row),
      `permission matrix row ${row}`,
    ),
    column,
  );
  if (column === 'X') {
    if (row === 21) return '-'; // X cannot own a key in A's workspace: there is nothing to delete.
    if (NAMES_NO_RESOURCE.has(operation)) return 'ISO';
  }
  switch (cell) {
    case 'NOT_FOUND':
      return 'NF';
    case 'BAD_USER_INPUT':
      return 'BAD';
    case 'MEMBER_OF':
      return COLUMNS[column].pages ? 'OWN' : 'NONE';
    default:
      return cell;
  }
}

export const API_EXPECTATIONS: Record<string, { row: number; expect: Record<ColumnName, Expected> }> = Object.fromEntries(
  Object.entries(OPERATION_ROWS).map(([operation, row]) => [
    operation,
    { row, expect: Object.fromEntries(COLUMN_NAMES.map((c) => [c, apiCell(operation, row, c)])) as Record<ColumnName, Expected> },
  ]),
);
