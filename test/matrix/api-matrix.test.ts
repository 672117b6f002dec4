import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { outcomeOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { API_EXPECTATIONS, type Expected } from './api-expectations.js';
import { OPERATIONS } from './operations.js';
import { auditOutcomesSince, buildWorld, COLUMN_NAMES, fingerprint, lastAuditId, type MatrixActor, type World } from './world.js';

/**
 * Every cell of docs/permission-matrix.md through the GraphQL API, against a real database:
 * each column's principal performs each row's operation; allowed cells succeed (lists show
 * the expected scope), denied cells answer the expected code and change nothing.
 */
const t = gatewayForThisFile();
let w: World;
let rootKeyInW: string;

beforeAll(async () => {
  w = await buildWorld(t.client, t.database.db);
  const key = await t.client.ok<{ createApiKey: { apiKey: { id: string } } }>(
    `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { apiKey { id } } }`,
    { w: w.W },
    w.root.token,
  );
  rootKeyInW = key.createApiKey.apiKey.id;
}, 120_000);

const CODE: Partial<Record<Expected, string>> = { D: 'FORBIDDEN', NF: 'NOT_FOUND', BAD: 'BAD_USER_INPUT' };

/** IDs of account A that must never reach account X. */
const accountAIds = (w: World) => [
  w.root.accountId,
  w.root.rootId,
  w.D,
  w.W,
  w.W2,
  ...Object.values(w.actors)
    .filter((a) => a.column !== 'X')
    .map((a) => a.principalId),
];

/**
 * The data that checkScope reads: `workspaces` (row 4), the workspace's API keys (row 19), a
 * RAM user's AccessKey pairs (rows 31 and 34, `.read`), the key made for another member (row 26),
 * the budget set (row 35) or W's budget and usage (row 36).
 */
interface ScopeData {
  workspaces?: { edges: Array<{ node: { id: string } }> };
  workspace?: {
    apiKeys: { edges: Array<{ node: { id: string; owner: { id: string } } }> };
    budget: { monthlyLimit: number } | null;
    usage: Array<{ key: string }> | null;
  };
  node?: { accessKeys: Array<{ id: string }> };
  createApiKey?: { apiKey: { owner: { id: string } } };
  setWorkspaceBudget?: { id: string; budget: { monthlyLimit: number } | null };
}

/** Row 44's data: W's candidate members. */
interface CandidateData {
  workspace?: { candidateMembers: { edges: Array<{ node: { id: string } }> } };
}

function checkScope(operation: string, expected: Expected, actor: MatrixActor, result: GraphQLResponse<ScopeData>) {
  const data = defined(result.data, `the data of operation ${operation}`);
  if (operation === '4') {
    const ids = defined(data.workspaces, 'workspaces').edges.map((e) => e.node.id);
    if (expected === 'ALL') expect(ids).toEqual(expect.arrayContaining([w.D, w.W, w.W2]));
    if (expected === 'OWN') expect(ids).toEqual([w.W]);
    if (expected === 'NONE') expect(ids).toEqual([]);
  }
  if (operation === '19') {
    const { edges } = defined(data.workspace, 'workspace').apiKeys;
    const owners = edges.map((e) => e.node.owner.id);
    const ids = edges.map((e) => e.node.id);
    if (expected === 'ALL') expect(ids).toContain(rootKeyInW);
    if (expected === 'OWN') expect(owners.every((owner) => owner === actor.principalId)).toBe(true);
  }
  if (operation === '31.read' || operation === '34.read') {
    // The pair the operation's setup made for the user is among the pairs the actor reads.
    const pairs = defined(data.node, 'the RAM user').accessKeys.map((pair) => pair.id);
    expect(pairs).toContain((result as { resourceId?: string }).resourceId);
  }
  if (operation === '44') {
    // NM is registered and a member of nothing: a candidate. WA is a member of W: not one.
    const candidates = defined((data as CandidateData).workspace, 'workspace').candidateMembers.edges.map((e) => e.node.id);
    expect(candidates).toContain(w.actors.NM.principalId);
    expect(candidates).not.toContain(w.actors.WA.principalId);
  }
  if (operation === '26') expect(defined(data.createApiKey, 'the created key').apiKey.owner.id).toBe(w.keyHolder);
  if (operation === '35') expect(defined(data.setWorkspaceBudget, 'the workspace').budget).toEqual({ monthlyLimit: 100 });
  if (operation === '36') {
    // Every cell starts from W without a budget (row 35 clears what it sets); the usage is a list, never refused in part.
    const workspace = defined(data.workspace, 'workspace');
    expect(workspace.budget).toBeNull();
    expect(Array.isArray(workspace.usage)).toBe(true);
  }
}

async function runCell(operation: string, actor: MatrixActor, expected: Expected) {
  const op = defined(OPERATIONS[operation], `the operation ${operation}`);
  let before = '';
  let auditBefore = '0';
  w.probe = async () => {
    before = await fingerprint(w.db, w.root.accountId);
    auditBefore = await lastAuditId(w.db);
  };
  const result = await op.run(w, actor);
  w.probe = undefined;
  const code = outcomeOf(result);
  const allowed = expected === 'A' || expected === 'ALL' || expected === 'OWN' || expected === 'NONE';

  if (allowed) {
    expect(code, JSON.stringify(result.errors)).toBe('OK');
    // The operations checkScope reads query the shape ScopeData describes.
    checkScope(operation, expected, actor, result as GraphQLResponse<ScopeData>);
  } else if (expected === 'ISO') {
    const text = JSON.stringify(result);
    for (const id of accountAIds(w)) expect(text).not.toContain(id);
  } else {
    expect(code, JSON.stringify(result.errors)).toBe(CODE[expected]);
    expect(result.data === null || Object.values(result.data ?? {}).every((v) => v === null || typeof v === 'object')).toBe(true);
  }
  if (!allowed) {
    // A refused request changes nothing of account A; its only trace is a DENIED audit event.
    expect(await fingerprint(w.db, w.root.accountId)).toBe(before);
    expect((await auditOutcomesSince(w.db, w.root.accountId, auditBefore)).filter((o) => o !== 'DENIED')).toEqual([]);
  }
  await op.cleanup?.(w, actor, result);
}

const cells = Object.entries(API_EXPECTATIONS).flatMap(([operation, { row, expect: byColumn, roleSessions }]) =>
  COLUMN_NAMES.filter((column) => byColumn[column] !== '-').map((column) => ({
    operation,
    row,
    column,
    expected: byColumn[column],
    roleSessions,
  })),
);

describe('permission matrix through the API', () => {
  it('covers every operation the matrix names', () => {
    const sorted = (keys: string[]) => [...keys].sort((a, b) => a.localeCompare(b));
    expect(sorted(Object.keys(OPERATIONS))).toEqual(sorted(Object.keys(API_EXPECTATIONS)));
  });

  it.each(cells)('row $row $operation as $column: $expected', async ({ operation, column, expected }) => {
    await runCell(operation, w.actors[column], expected);
  });
});

describe('permission matrix through the API, as RAM role sessions', () => {
  // Not the rows whose resource cannot exist for a role (row 34: a RAM role has no AccessKey pairs;
  // row 39: a RAM role has no password).
  const roleCells = cells.filter(({ column, roleSessions }) => column !== 'ROOT' && column !== 'X' && roleSessions);
  it.each(roleCells)('row $row $operation as a $column role session: $expected', async ({ operation, column, expected }) => {
    await runCell(operation, defined(w.roleActors[column], `the ${column} role session`), expected);
  });

  // Row 39 as a role session: a role has no password to change. The policy refuses it (FORBIDDEN:
  // only principals that sign in with a password change one), and nothing changes.
  const roleColumns = COLUMN_NAMES.filter((column) => column !== 'ROOT' && column !== 'X');
  it.each(roleColumns)('row 39 changePassword as a %s role session: refused, nothing changes', async (column) => {
    const actor = defined(w.roleActors[column], `the ${column} role session`);
    const op = defined(OPERATIONS['39'], 'the operation 39');
    let before = '';
    w.probe = async () => {
      before = await fingerprint(w.db, w.root.accountId);
    };
    const result = await op.run(w, actor);
    w.probe = undefined;
    expect(outcomeOf(result), JSON.stringify(result.errors)).toBe('FORBIDDEN');
    expect(await fingerprint(w.db, w.root.accountId)).toBe(before);
    await op.cleanup?.(w, actor, result);
  });
});
