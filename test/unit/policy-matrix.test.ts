import { describe, expect, it } from 'vitest';
import { ABILITY_NAMES, type Ability } from '../../src/policy/abilities.js';
import { decideModelCall, type ModelCallFacts } from '../../src/policy/decide-model-call.js';
import { decide, type Decision } from '../../src/policy/decide.js';
import type { Actor, Facts, WorkspaceFacts } from '../../src/policy/facts.js';
import { keyOwnerInGoodStanding } from '../../src/policy/standing.js';
import type { Page, PolicyName } from '../../src/policy/vocabulary.js';
import { defined } from '../helpers/assertions.js';
import {
  ABILITIES_OUTSIDE_MATRIX,
  COLUMN_NAMES,
  COLUMNS,
  KEY_KNOWLEDGE_BASE_MATRIX,
  MODEL_CALL_MATRIX,
  PERMISSION_MATRIX,
  ROW_NOTES,
  ROWS_ALLOWED_TO_API_KEYS,
  ROWS_ALLOWED_TO_TEMPORARY_KEYS,
  ROWS_REFUSED_TO_ACCESS_KEYS,
  ROWS_REFUSED_TO_API_KEYS,
  SPEC_COLUMNS,
  abilitiesOf,
  expectedCell,
  expectedPolicyCell,
  type Cell,
  type ColumnDefinition,
  type ColumnName,
  type MatrixRow,
  type ModelCallCase,
} from '../matrix/permission-matrix.js';

/**
 * docs/permission-matrix.md through the pure policy: every cell of test/matrix/permission-matrix.ts
 * becomes `Facts` and goes through `decide` (or `decideModelCall`). No database, no GraphQL.
 */

const ACCOUNT = { A: 'account-a', X: 'account-x' } as const;
const WORKSPACES = {
  W: { id: 'llm-wwwwwwwwwwwwwwww', accountId: ACCOUNT.A, kind: 'SUB' },
  W2: { id: 'llm-vvvvvvvvvvvvvvvv', accountId: ACCOUNT.A, kind: 'SUB' },
  D: { id: 'llm-dddddddddddddddd', accountId: ACCOUNT.A, kind: 'DEFAULT' },
} as const satisfies Record<string, WorkspaceFacts>;
/** Someone of account A other than the actor (row 20's key owner, a target principal). */
const OTHER_PRINCIPAL = 'principal-other-of-a';

/** Row `row` of the permission matrix (it must exist). */
const rowOf = (row: number): MatrixRow =>
  defined(
    PERMISSION_MATRIX.find((r) => r.row === row),
    `permission matrix row ${row}`,
  );
const byName = (a: string, b: string) => a.localeCompare(b);

type Principal = Pick<ColumnDefinition, 'kind' | 'policies' | 'pages'> & { account?: 'A' | 'X' };

interface ActorOptions {
  /** Act as a RAM role session holding the same policies and memberships. */
  asRole?: boolean;
  /** Authenticate with an API key of this workspace (owned by the principal). */
  apiKeyWorkspace?: keyof typeof WORKSPACES;
  /** The API key is a temporary one (`st-`). */
  temporaryKey?: boolean;
  /** Authenticate with one of the principal's AccessKey pairs (a RAM user's). */
  accessKey?: boolean;
}

function actorOf(principal: Principal, id: string, options: ActorOptions = {}): Actor {
  if (options.asRole && principal.kind === 'ROOT') throw new Error('the root has no role session');
  return {
    principalId: id,
    accountId: ACCOUNT[principal.account ?? 'A'],
    kind: options.asRole ? 'ROLE' : principal.kind,
    policies: new Set<PolicyName>(principal.policies),
    via: options.apiKeyWorkspace ? 'API_KEY' : options.accessKey ? 'ACCESS_KEY' : 'SESSION',
    ...(options.apiKeyWorkspace ? { apiKeyWorkspaceId: WORKSPACES[options.apiKeyWorkspace].id } : {}),
    ...(options.temporaryKey ? { temporaryKey: true } : {}),
  };
}

/** The facts of one (row, principal): the column's pages are its membership of W (and of nothing else). */
function factsFor(row: MatrixRow, principal: Principal, id: string, options: ActorOptions = {}): Facts {
  const actor = actorOf(principal, id, options);
  const { workspace, resourceOwner } = row.context;
  const facts: Facts = { actor, resourceAccountId: ACCOUNT.A };
  if (workspace) {
    facts.workspace = WORKSPACES[workspace];
    facts.membership = workspace === 'W' && principal.pages ? new Set<Page>(principal.pages) : null;
  }
  if (resourceOwner === 'SELF') facts.resourceOwnerId = id;
  if (resourceOwner === 'OTHER') facts.resourceOwnerId = OTHER_PRINCIPAL;
  return facts;
}

const principalIdOf = (column: ColumnName, asRole = false) => `${asRole ? 'role' : 'user'}-${column.toLowerCase()}`;

/** Asserts a decision against a policy-level cell. */
function expectCell(decision: Decision, cell: Cell) {
  const shown = JSON.stringify(decision);
  switch (cell) {
    case 'A':
      expect(decision.allowed, shown).toBe(true);
      return;
    case 'ALL':
    case 'MEMBER_OF':
    case 'OWN':
      expect(decision.allowed, shown).toBe(true);
      expect(decision.scope, shown).toBe(cell);
      return;
    case 'D':
      expect(decision.allowed, shown).toBe(false);
      expect(decision.denial, shown).toBe('FORBIDDEN');
      return;
    case 'NOT_FOUND':
      expect(decision.allowed, shown).toBe(false);
      expect(decision.denial, shown).toBe('NOT_FOUND');
      return;
    case 'BAD_USER_INPUT':
    case '-':
      throw new Error(`a ${cell} cell has no policy-level answer`);
  }
}

interface MatrixCell {
  row: number;
  ability: Ability;
  column: ColumnName;
  expected: Cell;
  matrixRow: MatrixRow;
}

/** Every (row, ability, column) with a policy-level answer; '-' cells are not applicable. */
const CELLS: MatrixCell[] = PERMISSION_MATRIX.flatMap((matrixRow) =>
  abilitiesOf(matrixRow).flatMap((ability) =>
    COLUMN_NAMES.map((column) => ({ row: matrixRow.row, ability, column, expected: expectedPolicyCell(matrixRow, column), matrixRow })),
  ),
).filter((cell) => cell.expected !== '-');

describe('the matrix data itself', () => {
  it('has rows 1-44 (25 of the main table, then the additions), once each, in order', () => {
    expect(PERMISSION_MATRIX.map((r) => r.row)).toEqual(Array.from({ length: 44 }, (_, i) => i + 1));
  });

  it('has a cell for every column of the spec, X always NOT_FOUND', () => {
    for (const row of PERMISSION_MATRIX) {
      expect(Object.keys(row.expect).sort(byName), `row ${row.row}`).toEqual([...SPEC_COLUMNS].sort(byName));
      expect(row.expect.X, `row ${row.row}`).toBe('NOT_FOUND');
      if (!row.list && row.policyExpect) expect(row.policyExpect.X, `row ${row.row}`).toBe('NOT_FOUND');
    }
  });

  it('uses scopes only in list rows, BAD_USER_INPUT only at API level, "-" only in rows about one\'s own resource', () => {
    const scopes = new Set<Cell>(['ALL', 'MEMBER_OF', 'OWN']);
    for (const row of PERMISSION_MATRIX) {
      for (const column of COLUMN_NAMES) {
        const api = expectedCell(row, column);
        const policy = expectedPolicyCell(row, column);
        if (row.list) expect(scopes.has(api) || api === 'D' || api === 'NOT_FOUND', `row ${row.row} ${column}`).toBe(true);
        else expect(scopes.has(api) || scopes.has(policy), `row ${row.row} ${column}`).toBe(false);
        expect(policy, `row ${row.row} ${column}`).not.toBe('BAD_USER_INPUT');
        if (api === '-' || policy === '-') expect(row.context.resourceOwner, `row ${row.row} ${column}`).toBe('SELF');
      }
    }
  });

  it('gives RO2 the answers of RO except in data rows', () => {
    for (const row of PERMISSION_MATRIX) {
      if (!row.dataRow) expect(expectedCell(row, 'RO2'), `row ${row.row}`).toBe(expectedCell(row, 'RO'));
    }
  });

  it('every ability is guarded by a matrix row or listed explicitly as an extra', () => {
    const inMatrix = new Set(PERMISSION_MATRIX.flatMap(abilitiesOf));
    const extras = new Set(ABILITIES_OUTSIDE_MATRIX);
    const untested = ABILITY_NAMES.filter((ability) => !inMatrix.has(ability) && !extras.has(ability));
    expect(untested, 'add a matrix row, or list the ability in ABILITIES_OUTSIDE_MATRIX').toEqual([]);
    // The extras list stays honest: no ability both in the matrix and listed, none that no longer exists.
    expect(ABILITIES_OUTSIDE_MATRIX.filter((ability) => inMatrix.has(ability))).toEqual([]);
    expect(ABILITIES_OUTSIDE_MATRIX.filter((ability) => !ABILITY_NAMES.includes(ability))).toEqual([]);
  });
});

describe('permission matrix through decide', () => {
  it.each(CELLS)('row $row $ability as $column: $expected', ({ matrixRow, ability, column, expected }) => {
    const facts = factsFor(matrixRow, { ...COLUMNS[column] }, principalIdOf(column));
    expectCell(decide(ability, facts), expected);
  });
});

describe('permission matrix through decide, as RAM role sessions', () => {
  // "A RAM role session behaves exactly as a RAM user holding the role's policies and
  // memberships." The root has no role session; X's role session is still another account.
  const roleCells = CELLS.filter(({ column }) => column !== 'ROOT');
  it.each(roleCells)('row $row $ability as a $column role session: $expected', ({ matrixRow, ability, column, expected }) => {
    const definition = COLUMNS[column];
    const principal = column === 'X' ? { ...definition, kind: 'USER' as const } : definition;
    const facts = factsFor(matrixRow, principal, principalIdOf(column, true), { asRole: true });
    const forRoles = column !== 'X' && 'roleSessionExpect' in matrixRow ? matrixRow.roleSessionExpect : undefined;
    expectCell(decide(ability, facts), forRoles ?? expected);
  });
});

describe('column X: another account reads as not found, whatever it holds', () => {
  const mighty: Principal = {
    kind: 'USER',
    account: 'X',
    policies: ['AliyunBailianFullAccess', 'AliyunRAMFullAccess', 'AliyunBailianDataFullAccess'],
    pages: ['ADMINISTRATOR', 'API_KEY', 'KNOWLEDGE_BASE'],
  };
  const cells = PERMISSION_MATRIX.flatMap((matrixRow) =>
    abilitiesOf(matrixRow).map((ability) => ({ row: matrixRow.row, ability, matrixRow })),
  );
  it.each(cells)('row $row $ability as a RAM user of X with every policy', ({ matrixRow, ability }) => {
    expectCell(decide(ability, factsFor(matrixRow, mighty, 'user-of-x')), 'NOT_FOUND');
  });
});

describe('row notes', () => {
  it.each(ROW_NOTES)('row $row $ability, $note: $expect', ({ row, ability, principal, expect: expected }) => {
    const matrixRow = rowOf(row);
    expectCell(decide(ability, factsFor(matrixRow, principal, 'user-note')), expected);
  });

  it('row 22/23: FA is denied before adding itself as a member and allowed after', () => {
    for (const row of [22, 23]) {
      const matrixRow = rowOf(row);
      const ability = defined(abilitiesOf(matrixRow)[0], `the first ability of row ${row}`);
      const before = decide(ability, factsFor(matrixRow, COLUMNS.FA, 'user-fa'));
      const after = decide(ability, factsFor(matrixRow, { ...COLUMNS.FA, pages: ['MODEL_EXPERIENCE'] }, 'user-fa'));
      expect([before.allowed, after.allowed], `row ${row}`).toEqual([false, true]);
    }
  });
});

describe('API keys never reach management-layer operations', () => {
  const owners = COLUMN_NAMES.filter((column) => column !== 'X');
  const cells = PERMISSION_MATRIX.filter((matrixRow) => ROWS_REFUSED_TO_API_KEYS.includes(matrixRow.row)).flatMap((matrixRow) =>
    abilitiesOf(matrixRow).flatMap((ability) =>
      owners.flatMap((owner) => [
        { row: matrixRow.row, ability, owner, asRole: false, matrixRow },
        ...(owner === 'ROOT' ? [] : [{ row: matrixRow.row, ability, owner, asRole: true, matrixRow }]),
      ]),
    ),
  );

  it('covers the rows the spec names', () => {
    expect([...new Set(cells.map((c) => c.row))]).toEqual([...ROWS_REFUSED_TO_API_KEYS]);
  });

  it.each(cells)(
    'row $row $ability with a key of W owned by $owner (role: $asRole): FORBIDDEN',
    ({ matrixRow, ability, owner, asRole }) => {
      const facts = factsFor(matrixRow, COLUMNS[owner], principalIdOf(owner, asRole), { asRole, apiKeyWorkspace: 'W' });
      expectCell(decide(ability, facts), 'D');
    },
  );
});

describe('rows allowed to API keys (createTemporaryApiKey, recordModelUsage)', () => {
  const owners = COLUMN_NAMES.filter((column) => column !== 'X');
  const cells = PERMISSION_MATRIX.filter((matrixRow) => ROWS_ALLOWED_TO_API_KEYS.includes(matrixRow.row)).flatMap((matrixRow) =>
    abilitiesOf(matrixRow).flatMap((ability) =>
      owners.flatMap((owner) =>
        (owner === 'ROOT' ? [false] : [false, true]).flatMap((asRole) =>
          (['W', 'D'] as const).map((keyWorkspace) => ({ row: matrixRow.row, ability, owner, asRole, keyWorkspace, matrixRow })),
        ),
      ),
    ),
  );

  it('covers rows 30 and 37, the operations made for keys', () => {
    expect([...new Set(cells.map((c) => c.row))]).toEqual([...ROWS_ALLOWED_TO_API_KEYS]);
    expect(ROWS_ALLOWED_TO_TEMPORARY_KEYS.filter((row) => !ROWS_ALLOWED_TO_API_KEYS.includes(row))).toEqual([]);
  });

  it.each(cells.map((cell) => ({ ...cell, temporary: ROWS_ALLOWED_TO_TEMPORARY_KEYS.includes(cell.row) ? 'A' : 'D' }) as const))(
    'row $row $ability with a key of $keyWorkspace owned by $owner (role: $asRole): allowed; with a temporary key: $temporary',
    ({ matrixRow, ability, owner, asRole, keyWorkspace, temporary }) => {
      const id = principalIdOf(owner, asRole);
      expectCell(decide(ability, factsFor(matrixRow, COLUMNS[owner], id, { asRole, apiKeyWorkspace: keyWorkspace })), 'A');
      // Row 30, docs/api.md: "a temporary key cannot derive another". Row 37: a temporary key records its own calls.
      const facts = factsFor(matrixRow, COLUMNS[owner], id, { asRole, apiKeyWorkspace: keyWorkspace, temporaryKey: true });
      expectCell(decide(ability, facts), temporary);
    },
  );
});

describe("AccessKey pairs act as their RAM user's session, except where a console session is required", () => {
  // "acts as that RAM user with its policies and memberships (management layer included)": the
  // session's cell, for every RAM-user column (the root and roles hold no AccessKey pair), except
  // ROWS_REFUSED_TO_ACCESS_KEYS (row 39, changePassword: "console sessions only"), refused.
  const owners = COLUMN_NAMES.filter((column) => COLUMNS[column].kind === 'USER');
  const cells = CELLS.filter(({ column }) => owners.includes(column)).map((cell) => ({
    ...cell,
    viaAccessKey: ROWS_REFUSED_TO_ACCESS_KEYS.includes(cell.row) ? ('D' as const) : cell.expected,
  }));

  it("refuses row 39 only, a row about one's own password", () => {
    expect(ROWS_REFUSED_TO_ACCESS_KEYS).toEqual([39]);
    expect(rowOf(39).ability).toBe('change_own_password');
  });

  it.each(cells)('row $row $ability with an AccessKey pair of $column: $viaAccessKey', ({ matrixRow, ability, column, viaAccessKey }) => {
    const facts = factsFor(matrixRow, COLUMNS[column], principalIdOf(column), { accessKey: true });
    expectCell(decide(ability, facts), viaAccessKey);
  });
});

describe('knowledge bases through an API key', () => {
  const cells = KEY_KNOWLEDGE_BASE_MATRIX.flatMap((entry) => [
    { ...entry, operation: 'read' as const, ability: 'read_knowledge_bases' as const, matrixRow: rowOf(23), expected: entry.expect.read },
    {
      ...entry,
      operation: 'manage' as const,
      ability: 'manage_knowledge_bases' as const,
      matrixRow: rowOf(22),
      expected: entry.expect.manage,
    },
  ]);

  it.each(cells)('$owner: $operation $expected', ({ principal, keyWorkspace, ability, matrixRow, expected }) => {
    const facts = factsFor(matrixRow, principal, 'key-owner', { apiKeyWorkspace: keyWorkspace });
    expect(facts.workspace?.id).toBe(WORKSPACES.W.id);
    expectCell(decide(ability, facts), expected);
  });
});

describe('model calls through decideModelCall', () => {
  /** The owner's standing after the case's history, as `keyOwnerInGoodStanding` sees it. */
  function ownerStanding(c: ModelCallCase) {
    const owner = COLUMNS[c.key.owner];
    const status = c.key.ownerState === 'DISABLED' ? 'DISABLED' : c.key.ownerState === 'DELETED' ? 'DELETED' : 'ACTIVE';
    const memberOfKeyWorkspace = c.key.workspace === 'W' && owner.pages !== null && c.key.ownerState !== 'REMOVED';
    return keyOwnerInGoodStanding({
      kind: owner.kind,
      status,
      policies: new Set(owner.policies),
      isMemberOfKeyWorkspace: memberOfKeyWorkspace,
    });
  }

  function modelCallFacts(c: ModelCallCase): ModelCallFacts {
    const workspace = WORKSPACES[c.key.workspace];
    return {
      key: {
        workspaceId: workspace.id,
        modelScope: c.key.modelScope ?? [],
        ipAllowlist: c.key.ipAllowlist ?? [],
        ownerActive: ownerStanding(c),
      },
      workspace: { kind: workspace.kind, allModelsOpen: c.inference === 'OPEN_ALL' },
      model: { id: c.model, fineTunedIn: c.fineTunedIn ? WORKSPACES[c.fineTunedIn].id : null, supportsInference: true },
      // "close all" clears every earlier per-model inference grant.
      inferenceAuthorized: c.inference === 'AUTHORIZED',
      sourceIp: c.sourceIp ?? null,
    };
  }

  const decided = MODEL_CALL_MATRIX.filter((c) => c.expect !== 'UNAUTHENTICATED');
  it.each(decided)('$case: $expect', (c) => {
    const reason = decideModelCall(modelCallFacts(c));
    if (c.expect === 'DENIED') expect(reason).not.toBe('ALLOWED');
    else expect(reason).toBe(c.expect);
  });

  // UNAUTHENTICATED is answered by authentication, before modelAccess: a deleted key never
  // authenticates (nothing for the policy to decide); a deleted owner never stands behind a key.
  const unauthenticated = MODEL_CALL_MATRIX.filter((c) => c.expect === 'UNAUTHENTICATED' && !c.key.deleted);
  it.each(unauthenticated)('$case: the owner no longer stands behind the key', (c) => {
    expect(ownerStanding(c)).toBe(false);
    expect(decideModelCall(modelCallFacts(c))).not.toBe('ALLOWED');
  });

  it("page permissions never restrict keys: M's key answers as the KEY member's", () => {
    for (const c of MODEL_CALL_MATRIX.filter((entry) => entry.key.owner === 'KEY' && entry.expect !== 'UNAUTHENTICATED')) {
      const asM: ModelCallCase = { ...c, key: { ...c.key, owner: 'M' } };
      expect(decideModelCall(modelCallFacts(asM)), c.case).toBe(decideModelCall(modelCallFacts(c)));
    }
  });

  it("the root's key is unaffected by membership changes, including its own absence from W", () => {
    for (const state of ['REMOVED', 'OTHERS_CHANGED'] as const) {
      const c: ModelCallCase = {
        case: 'root',
        key: { workspace: 'W', owner: 'ROOT', ownerState: state },
        model: 'qwen-plus',
        inference: 'AUTHORIZED',
        expect: 'ALLOWED',
      };
      expect(decideModelCall(modelCallFacts(c)), state).toBe('ALLOWED');
    }
  });
});
