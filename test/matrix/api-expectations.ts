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

/**
 * Operations whose request names no resource of account A, or is decided on the caller's own
 * account whatever it names: for X they are isolation checks. Row 37: recordModelUsage is decided
 * on the caller's account (a session may record nothing anywhere) before the call ID is read,
 * so X holding A's call ID acts in its own account and must learn and change nothing of A.
 */
const NAMES_NO_RESOURCE = new Set(['1', '2', '4', '6.createRamUser', '6.createRamRole', '24', '30', '37']);

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
  '7.role': 7,
  '8': 8,
  '8.detach': 8,
  '8.role': 8,
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
  '16.updateModelPermissions': 16,
  '16.rateLimit': 16,
  '17': 17,
  '18': 18,
  '19': 19,
  '20': 20,
  '21': 21,
  '22': 22,
  '22.delete': 22,
  '23': 23,
  '23.knowledgeBase': 23,
  '24': 24,
  '25': 25,
  '26': 26,
  '27': 27,
  '28': 28,
  '28.enable': 28,
  '29': 29,
  '30': 30,
  '31': 31,
  '31.deactivate': 31,
  '31.reactivate': 31,
  '31.delete': 31,
  '31.read': 31,
  '32': 32,
  '33.update': 33,
  '33.disable': 33,
  '33.enable': 33,
  '33.rotate': 33,
  '34': 34,
  '34.deactivate': 34,
  '34.reactivate': 34,
  '34.delete': 34,
  '34.read': 34,
  '35': 35,
  '36': 36,
  '37': 37,
  '38': 38,
  '39': 39,
  '40': 40,
  '40.role': 40,
  '41': 41,
  '42': 42,
  '43': 43,
  '44': 44,
};

const rowOf = (row: number) =>
  defined(
    PERMISSION_MATRIX.find((r) => r.row === row),
    `permission matrix row ${row}`,
  );

function apiCell(operation: string, row: number, column: ColumnName): Expected {
  const matrixRow = rowOf(row);
  const cell = expectedCell(matrixRow, column);
  if (column === 'X') {
    // Rows about one's own resource (21, 33, 34, 39, 41): X owns no key in A's workspace, no pair
    // and no password or session in A.
    if (matrixRow.context.resourceOwner === 'SELF') return '-';
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

export interface ApiExpectation {
  row: number;
  expect: Record<ColumnName, Expected>;
  /** Whether the row is also performed as RAM role sessions (not where the resource cannot exist for a role). */
  roleSessions: boolean;
}

export const API_EXPECTATIONS: Record<string, ApiExpectation> = Object.fromEntries(
  Object.entries(OPERATION_ROWS).map(([operation, row]) => [
    operation,
    {
      row,
      expect: Object.fromEntries(COLUMN_NAMES.map((c) => [c, apiCell(operation, row, c)])) as Record<ColumnName, Expected>,
      roleSessions: rowOf(row).notForRoleSessions === undefined,
    },
  ]),
);
