import type { ColumnName } from './world.js';

/**
 * permission-matrix.md as the API answers it, one entry per operation of OPERATIONS.
 * A: allowed. D: FORBIDDEN. NF: NOT_FOUND. BAD: BAD_USER_INPUT. '-': not applicable.
 * List rows give the scope seen: ALL, OWN (own items only), NONE (empty list).
 * ISO: the operation names no resource of account A (X acts in its own account): the answer
 * must contain nothing of A and A must be unchanged.
 */
export type Expected = 'A' | 'D' | 'NF' | 'BAD' | '-' | 'ALL' | 'OWN' | 'NONE' | 'ISO';

const row = (cells: string): Record<ColumnName, Expected> => {
  const values = cells.trim().split(/\s+/) as Expected[];
  const columns: ColumnName[] = ['ROOT', 'FA', 'CFA', 'RO', 'RO2', 'RAM', 'WA', 'KEY', 'M', 'NM', 'X'];
  if (values.length !== columns.length) throw new Error(`expected ${columns.length} cells: ${cells}`);
  return Object.fromEntries(columns.map((c, i) => [c, values[i]])) as Record<ColumnName, Expected>;
};

//                                      ROOT FA   CFA  RO   RO2  RAM  WA   KEY  M    NM   X
const MANAGE_RAM = /*                */ 'A    D    D    D    D    A    D    D    D    D    NF';
const MEMBERS_WRITE = /*             */ 'A    A    A    D    D    D    A    D    D    D    NF';
const SUPER_ONLY = /*                */ 'A    A    D    D    D    D    D    D    D    D    NF';

export const API_EXPECTATIONS: Record<string, { row: number; expect: Record<ColumnName, Expected> }> = {
  '1': { row: 1, expect: row('A    D    D    D    D    D    D    D    D    D    ISO') },
  '2': { row: 2, expect: row('A    A    A    D    D    D    D    D    D    D    ISO') },
  '3': { row: 3, expect: row('A    A    A    D    D    D    D    D    D    D    NF') },
  '4': { row: 4, expect: row('ALL  ALL  ALL  ALL  ALL  NONE OWN  OWN  OWN  NONE ISO') },
  '5': { row: 5, expect: row('A    A    A    A    A    D    A    A    A    D    NF') },
  '6.createRamUser': { row: 6, expect: row(MANAGE_RAM.replace(/NF$/, 'ISO')) },
  '6.disableRamUser': { row: 6, expect: row(MANAGE_RAM) },
  '6.enableRamUser': { row: 6, expect: row(MANAGE_RAM) },
  '6.deleteRamUser': { row: 6, expect: row(MANAGE_RAM) },
  '6.createRamRole': { row: 6, expect: row(MANAGE_RAM.replace(/NF$/, 'ISO')) },
  '6.deleteRamRole': { row: 6, expect: row(MANAGE_RAM) },
  '7': { row: 7, expect: row(MANAGE_RAM) },
  '7.detach': { row: 7, expect: row(MANAGE_RAM) },
  '8': { row: 8, expect: row('A    D    D    D    D    D    D    D    D    D    NF') },
  '8.detach': { row: 8, expect: row('A    D    D    D    D    D    D    D    D    D    NF') },
  '9': { row: 9, expect: row('A    A    A    D    D    D    D    D    D    D    NF') },
  '10': { row: 10, expect: row(MEMBERS_WRITE) },
  '11': { row: 11, expect: row(MEMBERS_WRITE) },
  '11.take': { row: 11, expect: row(MEMBERS_WRITE) },
  '12': { row: 12, expect: row(MEMBERS_WRITE) },
  '13': { row: 13, expect: row('A    A    A    A    A    D    A    D    D    D    NF') },
  '14': { row: 14, expect: row(SUPER_ONLY) },
  '14.all': { row: 14, expect: row(SUPER_ONLY) },
  '15': { row: 15, expect: row(SUPER_ONLY) },
  '15.delete': { row: 15, expect: row(SUPER_ONLY) },
  // Row 16: whoever may authorize models is refused as bad input (the default workspace
  // cannot be restricted); everyone else is refused by authorization first.
  '16': { row: 16, expect: row('BAD  BAD  D    D    D    D    D    D    D    D    NF') },
  '16.rateLimit': { row: 16, expect: row('BAD  BAD  D    D    D    D    D    D    D    D    NF') },
  '17': { row: 17, expect: row('A    A    A    A    A    D    A    A    A    D    NF') },
  '18': { row: 18, expect: row('A    A    A    D    D    D    A    A    D    D    NF') },
  '19': { row: 19, expect: row('ALL  ALL  ALL  ALL  ALL  D    ALL  ALL  OWN  D    NF') },
  '20': { row: 20, expect: row('A    A    A    D    D    D    A    A    D    D    NF') },
  '21': { row: 21, expect: row('A    A    A    -    -    -    A    A    A    -    -') },
  '22': { row: 22, expect: row('A    D    D    D    D    D    A    D    D    D    NF') },
  '22.delete': { row: 22, expect: row('A    D    D    D    D    D    A    D    D    D    NF') },
  '23': { row: 23, expect: row('A    D    D    D    D    D    A    A    A    D    NF') },
  '24': { row: 24, expect: row('A    A    A    A    A    D    D    D    D    D    ISO') },
  '25': { row: 25, expect: row('A    A    A    A    A    D    D    D    D    D    NF') },
};
