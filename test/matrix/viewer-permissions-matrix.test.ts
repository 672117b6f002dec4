import { beforeAll, describe, expect, it } from 'vitest';
import { ABILITIES, PERMISSION_SUBJECTS, type Ability, type PermissionSubject } from '../../src/policy/abilities.js';
import { defined } from '../helpers/assertions.js';
import { outcomeOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { API_EXPECTATIONS, type Expected } from './api-expectations.js';
import { OPERATIONS } from './operations.js';
import { ABILITIES_OUTSIDE_MATRIX, abilitiesOf, PERMISSION_MATRIX } from './permission-matrix.js';
import { buildWorld, COLUMN_NAMES, type MatrixActor, type World } from './world.js';

/**
 * Issue #13: "API tests for viewerPermissions that compare every Boolean with the result of calling
 * the guarded operation itself, for every column of the permission matrix (a console that trusts
 * viewerPermissions never shows a button that fails, nor hides one that would work)."
 *
 * Every operation of the API matrix (operations.ts) performed on an object that carries
 * `viewerPermissions` (Account, Workspace, ApiKey, RamUser, RamRole, KnowledgeBase), whose ability
 * is one of that object's fields, is performed here by every column (and every role session):
 * right before the actor's request (after the row's own setup, through `World.probe`), the actor
 * reads `viewerPermissions { <field> }` of the object the request names; the Boolean must say
 * whether the request then succeeds. Refusals after authorization (BAD_USER_INPUT, rows 16 and 38
 * on the default workspace) are failures: the Boolean must be false there. An object the actor may
 * not read at all (FORBIDDEN) shows no button: it counts as false. NOT_FOUND cells (column X on
 * account A's objects) are skipped: X cannot see the object. Column X's isolation cells (ISO: it
 * acts in its own account) compare the viewerPermissions of X's own account.
 */
const t = gatewayForThisFile();
let w: World;

beforeAll(async () => {
  w = await buildWorld(t.client, t.database.db);
  // Column X's isolation cells act in X's own account: it is given A's situation (Model Studio active
  // in cn-beijing), so that its createWorkspace (row 2, in cn-beijing) is refused for no input reason.
  await t.client.ok(
    `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
    {},
    w.other.token,
  );
}, 120_000);

type Variables = Record<string, unknown>;

/** The object an operation is performed on, and the ability its request is guarded by. */
interface Target {
  subject: PermissionSubject;
  ability: Ability;
  /** The object's ID, from the actor's request (its variables); absent for Account: the viewer's account. */
  id?: (variables: Variables, w: World, actor: MatrixActor) => string;
}

const str = (value: unknown, what: string): string => {
  if (typeof value !== 'string') throw new Error(`the request names no ${what}`);
  return value;
};
const onAccount = (ability: Ability): Target => ({ subject: 'Account', ability });
const on = (subject: Exclude<PermissionSubject, 'Account'>, ability: Ability, variable = 'id'): Target => ({
  subject,
  ability,
  id: (v) => str(v[variable], `${subject} ($${variable})`),
});
const onWorkspace = (ability: Ability) => on('Workspace', ability, 'w');
/** An input object's `id` (resetRamUserPassword, updateRamRole). */
const onInput = (subject: 'RamUser' | 'RamRole', ability: Ability): Target => ({
  subject,
  ability,
  id: (v) => str((v.i as { id?: unknown } | undefined)?.id, `${subject} (input.id)`),
});
/** Rows 31 and 34 on a pair: the pair's RAM user, whom the request does not name. */
const onHolder = (holder: (w: World, a: MatrixActor) => string): Target => ({
  subject: 'RamUser',
  ability: 'manage_access_keys',
  id: (_v, world, actor) => holder(world, actor),
});
const pairTargets = (row: number, holder: (w: World, a: MatrixActor) => string): Record<string, Target> =>
  Object.fromEntries(['', '.deactivate', '.reactivate', '.delete', '.read'].map((suffix) => [`${row}${suffix}`, onHolder(holder)]));

/** Each operation of OPERATIONS with viewerPermissions, and the object it is performed on. */
const TARGETS: Record<string, Target> = {
  '1': onAccount('activate_model_studio'),
  '2': onAccount('create_workspace'),
  '3': onWorkspace('rename_workspace'),
  '4': onAccount('list_workspaces'),
  '5': onWorkspace('read_workspace'),
  '6.createRamUser': onAccount('manage_ram_identity'),
  '6.disableRamUser': on('RamUser', 'manage_ram_identity'),
  '6.enableRamUser': on('RamUser', 'manage_ram_identity'),
  '6.deleteRamUser': on('RamUser', 'manage_ram_identity'),
  '6.createRamRole': onAccount('manage_ram_identity'),
  '6.deleteRamRole': on('RamRole', 'manage_ram_identity'),
  '7': on('RamUser', 'attach_policy'),
  '7.detach': on('RamUser', 'attach_policy'),
  '7.role': on('RamRole', 'attach_policy'),
  '8': on('RamUser', 'attach_data_policy'),
  '8.detach': on('RamUser', 'attach_data_policy'),
  '8.role': on('RamRole', 'attach_data_policy'),
  '9': onAccount('register_model_studio_user'),
  '10': onWorkspace('manage_members'),
  '11': onWorkspace('manage_members'),
  '11.take': onWorkspace('manage_members'),
  '12': onWorkspace('manage_members'),
  '13': onWorkspace('list_members'),
  '14': onWorkspace('authorize_model'),
  '14.all': onWorkspace('authorize_model'),
  '15': onWorkspace('set_rate_limit'),
  '15.delete': onWorkspace('set_rate_limit'),
  '16': onWorkspace('authorize_model'),
  '16.updateModelPermissions': onWorkspace('authorize_model'),
  '16.rateLimit': onWorkspace('set_rate_limit'),
  '17': onWorkspace('read_model_authorizations'),
  '18': onWorkspace('create_api_key'),
  '19': onWorkspace('list_api_keys'),
  '20': on('ApiKey', 'delete_api_key'),
  '21': on('ApiKey', 'delete_api_key'),
  '22': onWorkspace('manage_knowledge_bases'),
  '22.delete': on('KnowledgeBase', 'manage_knowledge_bases'),
  '23': onWorkspace('read_knowledge_bases'),
  '23.knowledgeBase': on('KnowledgeBase', 'read_knowledge_bases'),
  '24': onAccount('read_audit'),
  '25': onAccount('explain_access_for_others'),
  '26': onWorkspace('create_api_key_for_member'),
  '27': on('ApiKey', 'manage_api_key'),
  '28': on('ApiKey', 'manage_api_key'),
  '28.enable': on('ApiKey', 'manage_api_key'),
  '29': on('ApiKey', 'manage_api_key'),
  ...pairTargets(31, (world) => world.pairHolder),
  '32': onWorkspace('authorize_model'),
  '33.update': on('ApiKey', 'manage_api_key'),
  '33.disable': on('ApiKey', 'manage_api_key'),
  '33.enable': on('ApiKey', 'manage_api_key'),
  '33.rotate': on('ApiKey', 'manage_api_key'),
  ...pairTargets(34, (_world, actor) => actor.principalId),
  '35': onWorkspace('set_workspace_budget'),
  '36': onWorkspace('read_usage'),
  '38': onWorkspace('set_workspace_budget'),
  '40': on('RamUser', 'revoke_sessions', 'p'),
  '40.role': on('RamRole', 'revoke_sessions', 'p'),
  // Oneself: a RAM user's RamUser, a role session's RamRole (the root's RootPrincipal has none: ROOT_WITHOUT_SUBJECT).
  '41': on('RamUser', 'revoke_sessions', 'p'),
  '42': onInput('RamUser', 'manage_ram_identity'),
  '43': onInput('RamRole', 'manage_ram_identity'),
  '44': onWorkspace('manage_members'),
};

/** Operations whose ability no object's viewerPermissions carries (the ability has no `subjects`). */
const WITHOUT_VIEWER_PERMISSIONS: Record<string, string> = {
  '30': 'createTemporaryApiKey: create_temporary_api_key is no ability of an object',
  '37': 'recordModelUsage: record_model_usage is no ability of an object',
  '39': "changePassword: change_own_password is no ability of an object (one's own, in a console session)",
};

/** Operations on oneself performed by the root: RootPrincipal carries no viewerPermissions. */
const ROOT_WITHOUT_SUBJECT = new Set(['41']);

/** The object of operation 41 depends on who acts: a role session's own principal is a RamRole. */
function targetFor(operation: string, actor: MatrixActor): Target {
  const target = defined(TARGETS[operation], `the object of operation ${operation}`);
  return operation === '41' && actor.variant === 'role' ? { ...target, subject: 'RamRole' } : target;
}

const fieldOf = (ability: Ability) => ability.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const subjectsOf = (ability: Ability): readonly PermissionSubject[] =>
  (ABILITIES[ability] as { subjects?: readonly PermissionSubject[] }).subjects ?? [];

/** What the console would show: the Boolean, or UNREADABLE when the actor may not read the object at all (no button). */
type Shown = boolean | 'UNREADABLE';

interface PermissionsData {
  viewer?: { account: { viewerPermissions: Record<string, boolean> } };
  node?: { __typename: string; viewerPermissions?: Record<string, boolean> } | null;
}

async function viewerPermission(actor: MatrixActor, target: Target, variables: Variables): Promise<Shown> {
  const field = fieldOf(target.ability);
  const result: GraphQLResponse<PermissionsData> = target.id
    ? await t.client.request<PermissionsData>(
        `query($id: ID!) { node(id: $id) { __typename ... on ${target.subject} { viewerPermissions { ${field} } } } }`,
        { id: target.id(variables, w, actor) },
        { token: actor.token },
      )
    : await t.client.request<PermissionsData>(`{ viewer { account { viewerPermissions { ${field} } } } }`, {}, { token: actor.token });
  if (result.errors) {
    // The object itself is out of the actor's sight: a console shows it no button at all.
    if (outcomeOf(result) === 'FORBIDDEN' && !result.data?.node && !result.data?.viewer) return 'UNREADABLE';
    throw new Error(`viewerPermissions { ${field} } of the ${target.subject} answered ${JSON.stringify(result.errors)}`);
  }
  const data = defined(result.data, 'the viewerPermissions answer');
  if (!target.id) return defined(data.viewer, 'the viewer').account.viewerPermissions[field] as boolean;
  const node = defined(data.node, `the ${target.subject}`);
  expect(node.__typename, 'the object the request names').toBe(target.subject);
  return defined(node.viewerPermissions, `the ${target.subject}'s viewerPermissions`)[field] as boolean;
}

/** The answer the matrix expects of the operation itself (ISO: whatever X's own account answers). */
const EXPECTED_OUTCOME: Partial<Record<Expected, string>> = {
  A: 'OK',
  ALL: 'OK',
  OWN: 'OK',
  NONE: 'OK',
  D: 'FORBIDDEN',
  BAD: 'BAD_USER_INPUT',
};

/** One cell: viewerPermissions read right before the request, then the request; the Boolean must say whether it succeeded. */
async function compareCell(operation: string, actor: MatrixActor, expected: Expected) {
  const target = targetFor(operation, actor);
  const op = defined(OPERATIONS[operation], `the operation ${operation}`);
  const shown: Shown[] = [];
  w.probe = async ({ variables }) => {
    shown.push(await viewerPermission(actor, target, variables));
  };
  let result: GraphQLResponse;
  try {
    result = await op.run(w, actor);
  } finally {
    w.probe = undefined;
  }
  // The state is restored (and a session ended by row 41 renewed) before anything is asserted.
  await op.cleanup?.(w, actor, result);
  const outcome = outcomeOf(result);
  expect(shown, 'viewerPermissions read once, right before the request').toHaveLength(1);
  // The cell is the matrix's (the api-matrix runner checks it in full): the Boolean is compared on that situation.
  const expectedOutcome = EXPECTED_OUTCOME[expected];
  if (expectedOutcome) expect(outcome, JSON.stringify(result.errors)).toBe(expectedOutcome);
  const button = shown[0] === true;
  const works = outcome === 'OK';
  expect(
    button,
    `viewerPermissions.${fieldOf(target.ability)} on the ${target.subject} said ${String(shown[0])}, the operation answered ${outcome}`,
  ).toBe(works);
}

const cells = Object.entries(API_EXPECTATIONS)
  .filter(([operation]) => operation in TARGETS)
  .flatMap(([operation, { row, expect: byColumn, roleSessions }]) =>
    COLUMN_NAMES.filter((column) => byColumn[column] !== '-' && byColumn[column] !== 'NF')
      .filter((column) => !(column === 'ROOT' && ROOT_WITHOUT_SUBJECT.has(operation)))
      .map((column) => ({ operation, row, column, expected: byColumn[column], roleSessions })),
  );

describe('viewerPermissions: the operations they answer for', () => {
  it('classifies every operation of the API matrix: performed on an object with viewerPermissions, or not', () => {
    const sorted = (keys: string[]) => [...keys].sort((x, y) => x.localeCompare(y));
    expect(sorted([...Object.keys(TARGETS), ...Object.keys(WITHOUT_VIEWER_PERMISSIONS)])).toEqual(sorted(Object.keys(OPERATIONS)));
    expect(Object.keys(TARGETS).filter((operation) => operation in WITHOUT_VIEWER_PERMISSIONS)).toEqual([]);
  });

  it("names, for each operation, an ability of its matrix row that the object's viewerPermissions carry", () => {
    for (const [operation, target] of Object.entries(TARGETS)) {
      const { row } = defined(API_EXPECTATIONS[operation], `the expectations of ${operation}`);
      const matrixRow = defined(
        PERMISSION_MATRIX.find((r) => r.row === row),
        `row ${row}`,
      );
      expect(abilitiesOf(matrixRow), `operation ${operation}`).toContain(target.ability);
      expect(subjectsOf(target.ability), `operation ${operation}`).toContain(target.subject);
    }
    // Operation 41 as a role session is performed on the role.
    expect(subjectsOf('revoke_sessions')).toContain('RamRole');
    for (const [operation, why] of Object.entries(WITHOUT_VIEWER_PERMISSIONS)) {
      const { row } = defined(API_EXPECTATIONS[operation], `the expectations of ${operation}`);
      const matrixRow = defined(
        PERMISSION_MATRIX.find((r) => r.row === row),
        `row ${row}`,
      );
      expect(abilitiesOf(matrixRow).flatMap(subjectsOf), `operation ${operation}: ${why}`).toEqual([]);
    }
  });

  it('compares every Boolean of every viewerPermissions, except the abilities outside the matrix', () => {
    const compared = new Set(Object.values(TARGETS).map((target) => `${target.subject}.${target.ability}`));
    compared.add('RamRole.revoke_sessions');
    const notCompared = PERMISSION_SUBJECTS.flatMap((subject) =>
      (Object.keys(ABILITIES) as Ability[])
        .filter((ability) => subjectsOf(ability).includes(subject) && !compared.has(`${subject}.${ability}`))
        .map((ability) => ({ subject, ability })),
    );
    expect(notCompared.filter(({ ability }) => !ABILITIES_OUTSIDE_MATRIX.includes(ability))).toEqual([]);
  });
});

describe('viewerPermissions agree with the operations, for every column', () => {
  it.each(cells)('row $row $operation as $column: $expected', async ({ operation, column, expected }) => {
    await compareCell(operation, w.actors[column], expected);
  });
});

describe('viewerPermissions agree with the operations, as RAM role sessions', () => {
  const roleCells = cells.filter(({ column, roleSessions }) => column !== 'ROOT' && column !== 'X' && roleSessions);
  it.each(roleCells)('row $row $operation as a $column role session: $expected', async ({ operation, column, expected }) => {
    await compareCell(operation, defined(w.roleActors[column], `the ${column} role session`), expected);
  });
});
