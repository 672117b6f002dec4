import { describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/limits/query-limits.js';
import { signUp } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

// The statement count is served only when asked for (EXPOSE_STATEMENT_COUNT).
const t = gatewayForThisFile({ exposeStatementCount: true });

/** An operation `depth` levels deep: workspace.members.edges.node.workspace.members.… */
function deepQuery(depth: number) {
  let selection = 'id';
  let levels = 1;
  while (levels + 4 <= depth) {
    selection = `members { edges { node { workspace { ${selection} } } } }`;
    levels += 4;
  }
  return `{ workspace(id: "llm-aaaaaaaaaaaaaaaa") { ${selection} } }`;
}

describe('over-limit queries are refused before they run', () => {
  const attacks = [
    { name: 'depth', query: deepQuery(QUERY_LIMITS.maxDepth + 8) },
    {
      name: 'aliases',
      query: `{ ${Array.from({ length: QUERY_LIMITS.maxAliases + 5 }, (_, i) => `a${i}: viewer { credential }`).join(' ')} }`,
    },
    { name: 'directives', query: `{ viewer ${'@include(if: true) '.repeat(QUERY_LIMITS.maxDirectives + 5)}{ credential } }` },
    { name: 'tokens', query: `{ viewer { ${'credential '.repeat(QUERY_LIMITS.maxTokens)} } }` },
    {
      name: 'cost',
      query: `{ workspaces(first: 100) { edges { node { members(first: 100) { edges { node { pages principal { id name } apiKeys { id prefix } } } } } } } }`,
    },
    {
      name: 'cost, paging backward',
      query: `{ workspaces(last: 100) { edges { node { members(last: 100) { edges { node { pages principal { id name } apiKeys { id prefix } } } } } } } }`,
    },
    {
      name: 'cost, through nested fragments',
      query: `query { ...A } ${Array.from({ length: 12 }, (_, i) => `fragment ${String.fromCharCode(65 + i)} on Query { workspaces(first: 100) { edges { node { id } } } ${i < 11 ? `...${String.fromCharCode(66 + i)} ...${String.fromCharCode(66 + i)}` : ''} }`).join(' ')}`,
    },
  ];

  it.each(attacks)('$name', async ({ query }) => {
    const root = await signUp(t.client);
    const before = await t.database.db
      .selectFrom('audit_event')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const started = performance.now();
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${root.token}` },
      body: JSON.stringify({ query }),
    });
    const elapsed = performance.now() - started;
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    expect(response.status).toBe(400);
    expect(body.data).toBeUndefined(); // refused at validation: no resolver ran
    expect(body.errors?.[0]?.message).toMatch(/depth|alias|directive|token|cost/i);
    expect(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']).toContain(body.errors?.[0]?.extensions?.code);
    // No statement beyond authentication was issued.
    expect(Number(response.headers.get('x-sql-statements'))).toBeLessThanOrEqual(1);
    expect(elapsed).toBeGreaterThan(0);
    const after = await t.database.db
      .selectFrom('audit_event')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('the console page stays well within the limits', async () => {
    const root = await signUp(t.client);
    const { CONSOLE_PAGE_QUERY } = await import('../../bench/scenarios.js');
    const response = await t.client.request(CONSOLE_PAGE_QUERY, { w: 'llm-aaaaaaaaaaaaaaaa' }, { token: root.token });
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('batched requests are refused', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });
});
