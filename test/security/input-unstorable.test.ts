import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type TestAccount } from '../helpers/fixtures.js';
import { firstError, type GraphQLResponse } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { fingerprint } from '../matrix/world.js';
import { defined } from '../helpers/assertions.js';

/**
 * Input PostgreSQL itself would refuse (NUL, lone surrogates, numbers past bigint, timestamps
 * outside its range) answers BAD_USER_INPUT naming the field, anonymous or not, on both
 * databases, and writes nothing. Before the fix each case answered INTERNAL_SERVER_ERROR (or,
 * for lone surrogates, was stored as U+FFFD).
 */
const t = gatewayForThisFile();

let root: TestAccount;
let workspaceId: string;

beforeAll(async () => {
  root = await signUp(t.client);
  const activated = await t.client.ok<{ activateModelStudio: { id: string } }>(
    `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
    {},
    root.token,
  );
  workspaceId = activated.activateModelStudio.id;
});

const NUL = 'a\u0000b';
const cursor = (...parts: [string, string]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const ISSUED_AT = '2026-11-28T12:00:00.000Z';

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`;
const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { token } }`;
const AUDIT = `query($after: String, $filter: AuditEventFilter) { auditEvents(after: $after, filter: $filter) { edges { cursor node { id } } } }`;

interface Case {
  query: string;
  variables: () => Record<string, unknown>;
  anonymous?: boolean;
  field: string;
}

const CASES: Record<string, Case> = {
  'signUp, anonymous, a NUL in the e-mail': {
    query: SIGN_UP,
    variables: () => ({ input: { accountName: 'nul-mail', email: `x${NUL}@example.com`, password: PASSWORD } }),
    anonymous: true,
    field: 'input.email',
  },
  'login, anonymous, a NUL in the login name': {
    query: LOGIN,
    variables: () => ({ input: { loginName: NUL, password: PASSWORD } }),
    anonymous: true,
    field: 'input.loginName',
  },
  'createRamRole, a NUL in the description': {
    query: `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { id } }`,
    variables: () => ({ input: { name: 'nul-role', description: NUL } }),
    field: 'input.description',
  },
  'createKnowledgeBase, a NUL in the description': {
    query: `mutation($input: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $input) { id } }`,
    variables: () => ({ input: { workspaceId, name: 'nul-kb', description: NUL } }),
    field: 'input.description',
  },
  'createApiKey, a NUL in the description': {
    query: `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
    variables: () => ({ input: { workspaceId, description: NUL } }),
    field: 'input.description',
  },
  'auditEvents, a NUL in filter.action': { query: AUDIT, variables: () => ({ filter: { action: NUL } }), field: 'filter.action' },
  'auditEvents, a NUL in filter.actorId': { query: AUDIT, variables: () => ({ filter: { actorId: NUL } }), field: 'filter.actorId' },
  'ramUsers, a cursor with a NUL in its ID': {
    query: `query($after: String) { account { ramUsers(after: $after) { edges { cursor } } } }`,
    variables: () => ({ after: cursor(ISSUED_AT, NUL) }),
    field: 'after',
  },
  'workspace.modelAuthorizations, a cursor with a NUL in its model': {
    query: `query($w: ID!, $after: String) { workspace(id: $w) { modelAuthorizations(after: $after) { edges { cursor } } } }`,
    variables: () => ({ w: workspaceId, after: cursor('', NUL) }),
    field: 'after',
  },
  'auditEvents, a cursor whose number is past bigint': {
    query: AUDIT,
    variables: () => ({ after: cursor('', '9223372036854775808') }),
    field: 'after',
  },
  'node, an audit event ID whose number is past bigint': {
    query: `query($id: ID!) { node(id: $id) { id } }`,
    variables: () => ({ id: 'aud_9223372036854775808' }),
    field: 'id',
  },
  'workspaces, a cursor dated in the year -200000': {
    query: `query($after: String) { workspaces(after: $after) { edges { cursor } } }`,
    variables: () => ({ after: cursor('-200000-01-01T00:00:00.000Z', 'llm-aaaaaaaaaaaaaaaa') }),
    field: 'after',
  },
  'workspaces, a cursor dated in the year 275000 (PGlite sends it as +275000)': {
    query: `query($after: String) { workspaces(after: $after) { edges { cursor } } }`,
    variables: () => ({ after: cursor('+275000-01-01T00:00:00.000Z', 'llm-aaaaaaaaaaaaaaaa') }),
    field: 'after',
  },
  'createWorkspace, a lone surrogate in the name': {
    query: `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`,
    variables: () => ({ input: { name: 'a\uD800b', region: 'CN_BEIJING' } }),
    field: 'input.name',
  },
  'createKnowledgeBase, a lone surrogate in the description': {
    query: `mutation($input: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $input) { id } }`,
    variables: () => ({ input: { workspaceId, name: 'surrogate-kb', description: 'x\uDC00' } }),
    field: 'input.description',
  },
};

/** Every table's rows for the account, and how many accounts exist (an anonymous sign-up adds one). */
async function state(): Promise<string> {
  const accounts = await sql<{ n: string }>`select cast(count(*) as text) as n from account`.execute(t.database.db);
  return `${defined(accounts.rows[0], 'the account count').n} ${await fingerprint(t.database.db, root.accountId)}`;
}

describe('input PostgreSQL would refuse', () => {
  it.each(Object.entries(CASES))(
    '%s: BAD_USER_INPUT naming the field, nothing written',
    async (_case, { query, variables, anonymous, field }) => {
      const before = await state();
      const result: GraphQLResponse = await t.client.request(query, variables(), { token: anonymous ? undefined : root.token });
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result.errors)).toBe('BAD_USER_INPUT');
      expect(firstError(result).extensions?.field).toBe(field);
      expect(firstError(result).message).toContain(field);
      expect(result.status).toBeLessThan(500);
      expect(await state()).toBe(before);
    },
  );
});

describe('what stays accepted', () => {
  it('a cursor the server issued pages on; cursors dated in the years 1 and 9999 are fine', async () => {
    await t.client.ok(`mutation { createWorkspace(input: { name: "second", region: CN_BEIJING }) { id } }`, {}, root.token);
    const page = `query($after: String) { workspaces(first: 1, after: $after) { edges { node { name } } pageInfo { endCursor } } }`;
    type WorkspacesPage = { workspaces: { edges: Array<{ node: { name: string } }>; pageInfo: { endCursor: string | null } } };
    const first = await t.client.ok<WorkspacesPage>(page, {}, root.token);
    const second = await t.client.ok<WorkspacesPage>(page, { after: first.workspaces.pageInfo.endCursor }, root.token);
    expect(second.workspaces.edges.map((e) => e.node.name)).toEqual(['second']);
    for (const at of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      const result = await t.client.request(page, { after: cursor(at, 'llm-aaaaaaaaaaaaaaaa') }, { token: root.token });
      expect(result.errors, at).toBeUndefined();
    }
  });

  it('audit event IDs and cursors the server issued, and the largest bigint in an ID', async () => {
    const events = await t.client.ok<{ auditEvents: { edges: Array<{ cursor: string; node: { id: string } }> } }>(AUDIT, {}, root.token);
    const newest = defined(events.auditEvents.edges[0], 'the newest audit event');
    expect(
      (await t.client.ok<{ node: { id: string } }>(`query($id: ID!) { node(id: $id) { id } }`, { id: newest.node.id }, root.token)).node.id,
    ).toBe(newest.node.id);
    expect((await t.client.request(AUDIT, { after: newest.cursor }, { token: root.token })).errors).toBeUndefined();
    const largest = await t.client.request(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: 'aud_9223372036854775807' },
      { token: root.token },
    );
    // Whatever the audit IDs' format says of it, its number is not refused for its size.
    expect(largest.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(largest.errors?.[0]?.message ?? '').not.toContain('too large');
  });
});
