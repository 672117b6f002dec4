import { beforeAll, describe, expect, it } from 'vitest';
import {
  PASSWORD,
  assumeRole,
  attachPolicy,
  changeStatus,
  createRole,
  createUser,
  ramSnapshot,
  registerInModelStudio,
  signUp,
  type RamSnapshot,
  type TestAccount,
} from '../helpers/fixtures.js';
import { defined } from '../helpers/assertions.js';
import { dataOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { expectError, uniqueName } from './support.js';

/**
 * docs/permission-matrix.md rows 6, 7 and 8 (identity administration) for the columns that need
 * no workspace, plus a RAM role session holding AliyunRAMFullAccess (RAM_ROLE) and a RAM
 * administrator of another account (X_RAM). Each cell works on a fresh target of account A;
 * allowed cells must make exactly their change, denied ones must change nothing.
 */
const t = gatewayForThisFile();

const COLUMNS = ['ROOT', 'FA', 'CFA', 'RO', 'RAM', 'RAM_ROLE', 'NM', 'X', 'X_RAM'] as const;
type Column = (typeof COLUMNS)[number];

/** A: allowed. D: FORBIDDEN. NF: NOT_FOUND. OWN: another account's principal acts in its own account only (A untouched). */
type Expected = 'A' | 'D' | 'NF' | 'OWN';

const NON_DATA = 'AliyunBailianControlReadOnlyAccess';

// prettier-ignore
const MATRIX: Record<string, { row: 6 | 7 | 8; cells: Record<Column, Expected> }> = {
  //                                           ROOT      FA        CFA       RO        RAM       RAM_ROLE      NM        X          X_RAM
  createRamUser: { row: 6, cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'OWN', X_RAM: 'OWN' } },
  disableRamUser: { row: 6, cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' } },
  enableRamUser: { row: 6, cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' } },
  deleteRamUser: { row: 6, cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' } },
  createRamRole: { row: 6, cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'OWN', X_RAM: 'OWN' } },
  deleteRamRole: { row: 6, cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' } },
  attachNonDataPolicyToUser: {
    row: 7,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
  detachNonDataPolicyFromUser: {
    row: 7,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
  attachNonDataPolicyToRole: {
    row: 7,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
  detachNonDataPolicyFromRole: {
    row: 7,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'A', RAM_ROLE: 'A', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
  attachDataFullToUser: {
    row: 8,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'D', RAM_ROLE: 'D', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
  detachDataFullFromUser: {
    row: 8,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'D', RAM_ROLE: 'D', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
  attachDataReadOnlyToRole: {
    row: 8,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'D', RAM_ROLE: 'D', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
  detachDataReadOnlyFromRole: {
    row: 8,
    cells: { ROOT: 'A', FA: 'D', CFA: 'D', RO: 'D', RAM: 'D', RAM_ROLE: 'D', NM: 'D', X: 'NF', X_RAM: 'NF' },
  },
};

const PRINCIPAL_FIELDS = `id kind status policies`;

/** The data of an identity mutation: under its field, the principal with PRINCIPAL_FIELDS. */
type PrincipalData = Record<string, { id: string; kind: string; status: string; policies: string[] } | undefined>;

interface Operation {
  /** The mutation field, whose data must be null when denied. */
  field: string;
  /** Sets up a fresh target in account A (as A's root); returns its ID. */
  prepare(): Promise<string | undefined>;
  run(token: string, target: string | undefined): Promise<GraphQLResponse<PrincipalData>>;
  /** Account A after the allowed call, from A before it. */
  effect(before: RamSnapshot, target: string | undefined, data: Record<string, { id: string } | undefined>): RamSnapshot;
  /** What the allowed call returns about its principal. */
  returns(target: string | undefined): { kind: string; status: string; policy?: [string, boolean] };
}

let A: TestAccount;
let B: TestAccount;
const tokens = {} as Record<Column, string>;

const clone = (s: RamSnapshot): RamSnapshot => structuredClone(s);
const newUser = async () => (await createUser(t.client, A.token, uniqueName('target'))).id;
const newRole = async () => (await createRole(t.client, A.token, [], uniqueName('target-role'))).id;

function statusChange(field: 'disableRamUser' | 'enableRamUser' | 'deleteRamUser' | 'deleteRamRole'): Operation {
  const isRole = field === 'deleteRamRole';
  return {
    field,
    prepare: async () => {
      const id = isRole ? await newRole() : await newUser();
      if (field === 'enableRamUser') await changeStatus(t.client, A.token, 'disableRamUser', id);
      return id;
    },
    run: (token, id) => t.client.request(`mutation($id: ID!) { ${field}(id: $id) { ${PRINCIPAL_FIELDS} } }`, { id }, { token }),
    effect: (before, id) => {
      const after = clone(before);
      const target = defined(id, 'the target of the status change');
      if (field === 'deleteRamRole') delete after.roles[target];
      else if (field === 'deleteRamUser') delete after.users[target];
      else defined(after.users[target], 'the target user in the snapshot').status = field === 'disableRamUser' ? 'DISABLED' : 'ACTIVE';
      return after;
    },
    returns: () => ({
      kind: isRole ? 'RAM_ROLE' : 'RAM_USER',
      status: { disableRamUser: 'DISABLED', enableRamUser: 'ACTIVE', deleteRamUser: 'DELETED', deleteRamRole: 'DELETED' }[field],
    }),
  };
}

function policyChange(mode: 'attach' | 'detach', policy: string, on: 'user' | 'role'): Operation {
  const field = `${mode}Policy`;
  return {
    field,
    prepare: async () => {
      const id = on === 'role' ? await newRole() : await newUser();
      if (mode === 'detach') await attachPolicy(t.client, A.token, id, policy);
      return id;
    },
    run: (token, id) =>
      t.client.request(
        `mutation($input: PolicyAttachmentInput!) { ${field}(input: $input) { ${PRINCIPAL_FIELDS} } }`,
        { input: { principalId: id, policy } },
        { token },
      ),
    effect: (before, id) => {
      const after = clone(before);
      const target = defined(id, 'the target of the policy change');
      const entry = defined(on === 'role' ? after.roles[target] : after.users[target], `the target ${on} in the snapshot`);
      entry.policies =
        mode === 'attach' ? [...entry.policies, policy].sort((a, b) => a.localeCompare(b)) : entry.policies.filter((p) => p !== policy);
      return after;
    },
    returns: () => ({ kind: on === 'role' ? 'RAM_ROLE' : 'RAM_USER', status: 'ACTIVE', policy: [policy, mode === 'attach'] }),
  };
}

const OPERATIONS: Record<keyof typeof MATRIX, Operation> = {
  createRamUser: {
    field: 'createRamUser',
    prepare: async () => uniqueName('created'),
    run: (token, name) =>
      t.client.request(
        `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { ${PRINCIPAL_FIELDS} name } }`,
        { input: { name, displayName: `User ${name}`, password: PASSWORD } },
        { token },
      ),
    effect: (before, name, data) => {
      const after = clone(before);
      after.users[defined(data.createRamUser, 'the createRamUser data').id] = {
        name: defined(name, 'the new user name'),
        status: 'ACTIVE',
        policies: [],
      };
      return after;
    },
    returns: () => ({ kind: 'RAM_USER', status: 'ACTIVE' }),
  },
  disableRamUser: statusChange('disableRamUser'),
  enableRamUser: statusChange('enableRamUser'),
  deleteRamUser: statusChange('deleteRamUser'),
  createRamRole: {
    field: 'createRamRole',
    prepare: async () => uniqueName('created-role'),
    run: (token, name) =>
      t.client.request(
        `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { ${PRINCIPAL_FIELDS} name } }`,
        { input: { name, description: 'made by a matrix cell', trustedUserIds: [] } },
        { token },
      ),
    effect: (before, name, data) => {
      const after = clone(before);
      after.roles[defined(data.createRamRole, 'the createRamRole data').id] = {
        name: defined(name, 'the new role name'),
        status: 'ACTIVE',
        policies: [],
        trustedUserIds: [],
      };
      return after;
    },
    returns: () => ({ kind: 'RAM_ROLE', status: 'ACTIVE' }),
  },
  deleteRamRole: statusChange('deleteRamRole'),
  attachNonDataPolicyToUser: policyChange('attach', NON_DATA, 'user'),
  detachNonDataPolicyFromUser: policyChange('detach', NON_DATA, 'user'),
  attachNonDataPolicyToRole: policyChange('attach', 'AliyunBailianControlFullAccess', 'role'),
  detachNonDataPolicyFromRole: policyChange('detach', 'AliyunBailianControlFullAccess', 'role'),
  attachDataFullToUser: policyChange('attach', 'AliyunBailianDataFullAccess', 'user'),
  detachDataFullFromUser: policyChange('detach', 'AliyunBailianDataFullAccess', 'user'),
  attachDataReadOnlyToRole: policyChange('attach', 'AliyunBailianDataReadOnlyAccess', 'role'),
  detachDataReadOnlyFromRole: policyChange('detach', 'AliyunBailianDataReadOnlyAccess', 'role'),
};

/** A RAM user of `account` holding `policies`, registered in Model Studio, signed in. */
async function columnUser(account: TestAccount, column: string, policies: string[]) {
  const user = await createUser(t.client, account.token, uniqueName(column.toLowerCase()));
  for (const policy of policies) await attachPolicy(t.client, account.token, user.id, policy);
  await registerInModelStudio(t.client, account.token, user.id);
  return user;
}

beforeAll(async () => {
  A = await signUp(t.client);
  B = await signUp(t.client);
  tokens.ROOT = A.token;
  tokens.FA = (await columnUser(A, 'FA', ['AliyunBailianFullAccess'])).token;
  tokens.CFA = (await columnUser(A, 'CFA', ['AliyunBailianControlFullAccess'])).token;
  tokens.RO = (await columnUser(A, 'RO', ['AliyunBailianControlReadOnlyAccess'])).token;
  tokens.RAM = (await columnUser(A, 'RAM', ['AliyunRAMFullAccess'])).token;
  tokens.NM = (await columnUser(A, 'NM', [])).token;
  // A role holding AliyunRAMFullAccess, assumed by a user that holds nothing itself.
  const assumer = await columnUser(A, 'assumer', []);
  const role = await createRole(t.client, A.token, [assumer.id], uniqueName('ram-admin-role'));
  await attachPolicy(t.client, A.token, role.id, 'AliyunRAMFullAccess');
  tokens.RAM_ROLE = await assumeRole(t.client, assumer.token, role.id);
  tokens.X = B.token;
  tokens.X_RAM = (await columnUser(B, 'X_RAM', ['AliyunRAMFullAccess'])).token;
});

const CELLS = Object.entries(MATRIX).flatMap(([operation, { row, cells }]) =>
  COLUMNS.map((column) => ({ row, operation, column, expected: cells[column] })),
);

describe('the columns hold what they name', () => {
  it('each actor acts as the principal and policies the matrix assumes', async () => {
    const expected: Record<Column, { kind: string; policies: string[] }> = {
      ROOT: { kind: 'ROOT', policies: [] },
      FA: { kind: 'RAM_USER', policies: ['AliyunBailianFullAccess'] },
      CFA: { kind: 'RAM_USER', policies: ['AliyunBailianControlFullAccess'] },
      RO: { kind: 'RAM_USER', policies: ['AliyunBailianControlReadOnlyAccess'] },
      RAM: { kind: 'RAM_USER', policies: ['AliyunRAMFullAccess'] },
      RAM_ROLE: { kind: 'RAM_ROLE', policies: ['AliyunRAMFullAccess'] },
      NM: { kind: 'RAM_USER', policies: [] },
      X: { kind: 'ROOT', policies: [] },
      X_RAM: { kind: 'RAM_USER', policies: ['AliyunRAMFullAccess'] },
    };
    for (const column of COLUMNS) {
      const me = await t.client.ok<{ viewer: { principal: { kind: string }; policies: string[]; account: { id: string } } }>(
        `{ viewer { principal { kind } policies account { id } } }`,
        {},
        tokens[column],
      );
      expect({ kind: me.viewer.principal.kind, policies: me.viewer.policies }, column).toEqual(expected[column]);
      expect(me.viewer.account.id, column).toBe(column.startsWith('X') ? B.accountId : A.accountId);
    }
  });
});

describe('permission matrix rows 6-8 (identity administration)', () => {
  it('covers every column of every operation', () => {
    expect(CELLS).toHaveLength(Object.keys(MATRIX).length * COLUMNS.length);
    const sorted = (keys: string[]) => [...keys].sort((a, b) => a.localeCompare(b));
    expect(sorted(Object.keys(OPERATIONS))).toEqual(sorted(Object.keys(MATRIX)));
  });

  it.each(CELLS)('row $row $operation as $column → $expected', async ({ operation, column, expected }) => {
    const op = defined(OPERATIONS[operation], `the operation ${operation}`);
    const target = await op.prepare();
    const before = await ramSnapshot(t.client, A.token);
    const otherBefore = await ramSnapshot(t.client, B.token);

    const result = await op.run(tokens[column], target);
    const after = await ramSnapshot(t.client, A.token);

    if (expected === 'A') {
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      const data = dataOf(result);
      const returned = defined(data[op.field], `the data of ${op.field}`);
      const { kind, status, policy } = op.returns(target);
      expect(returned).toMatchObject({ kind, status });
      if (operation !== 'createRamUser' && operation !== 'createRamRole') expect(returned.id).toBe(target);
      if (policy) expect(returned.policies.includes(policy[0])).toBe(policy[1]);
      expect(after).toEqual(op.effect(before, target, data));
      expect(await ramSnapshot(t.client, B.token)).toEqual(otherBefore);
      return;
    }
    if (expected === 'OWN') {
      // Names are per account: the other account's principal creates in its own account only.
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      const created = defined(dataOf(result)[op.field], `the data of ${op.field}`).id;
      expect(after).toEqual(before);
      const otherAfter = await ramSnapshot(t.client, B.token);
      expect(Object.keys(otherAfter.users).length + Object.keys(otherAfter.roles).length).toBe(
        Object.keys(otherBefore.users).length + Object.keys(otherBefore.roles).length + 1,
      );
      expect(otherAfter.users[created] ?? otherAfter.roles[created]).toMatchObject({ name: target, status: 'ACTIVE' });
      return;
    }
    expectError(result, expected === 'NF' ? 'NOT_FOUND' : 'FORBIDDEN', { dataField: op.field });
    expect(after).toEqual(before);
    expect(await ramSnapshot(t.client, B.token)).toEqual(otherBefore);
  });
});
