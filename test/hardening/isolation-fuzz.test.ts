import fc from 'fast-check';
import {
  getNamedType,
  isAbstractType,
  isEnumType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBareSchema } from '../../src/schema.js';
import { defined } from '../helpers/assertions.js';
import { attachPolicy, createUser, signUp } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { registeredUser, setPages } from '../matrix/world.js';

/**
 * Random valid queries, generated from the schema, sent as random principals of account A
 * with IDs of both accounts in their arguments: no answer ever holds an ID, a name or a key
 * prefix of account B.
 */
const t = gatewayForThisFile();
const schema: GraphQLSchema = buildBareSchema().schema;

interface Side {
  tokens: string[];
  ids: string[];
  secrets: string[];
}
let a: Side;
let b: Side;

async function buildAccount(label: string): Promise<Side & { names: string[] }> {
  const root = await signUp(t.client, `${label}-${Date.now().toString(36)}`);
  const c = t.client;
  const d = (
    await c.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    )
  ).activateModelStudio.id;
  const w = (
    await c.ok<{ createWorkspace: { id: string } }>(
      `mutation($n: String!) { createWorkspace(input: { name: $n, region: CN_BEIJING }) { id } }`,
      { n: `${label}-workspace` },
      root.token,
    )
  ).createWorkspace.id;
  const world = { client: c, root } as never;
  const fa = await createUser(c, root.token, `${label}-fa`);
  await attachPolicy(c, root.token, fa.id, 'AliyunBailianFullAccess');
  const member = await registeredUser(world);
  await setPages(c, root.token, w, member.id, ['ADMINISTRATOR']);
  const key = await c.ok<{ createApiKey: { secret: string; apiKey: { id: string; prefix: string } } }>(
    `mutation($w: ID!) { createApiKey(input: { workspaceId: $w, description: "${label}-key" }) { secret apiKey { id prefix } } }`,
    { w },
    root.token,
  );
  const kb = await c.ok<{ createKnowledgeBase: { id: string } }>(
    `mutation($w: ID!) { createKnowledgeBase(input: { workspaceId: $w, name: "${label}-kb" }) { id } }`,
    { w },
    root.token,
  );
  const role = await c.ok<{ createRamRole: { id: string } }>(
    `mutation { createRamRole(input: { name: "${label}-role" }) { id } }`,
    {},
    root.token,
  );
  const events = await c.ok<{ auditEvents: { edges: Array<{ node: { id: string } }> } }>(
    `{ auditEvents(first: 1) { edges { node { id } } } }`,
    {},
    root.token,
  );
  return {
    tokens: [root.token, fa.token, member.token, key.createApiKey.secret],
    ids: [
      root.accountId,
      root.rootId,
      d,
      w,
      fa.id,
      member.id,
      key.createApiKey.apiKey.id,
      kb.createKnowledgeBase.id,
      role.createRamRole.id,
      defined(events.auditEvents.edges[0], 'the newest audit event').node.id,
    ],
    secrets: [key.createApiKey.apiKey.prefix],
    names: [label],
  };
}

beforeAll(async () => {
  a = await buildAccount('alpha');
  const other = await buildAccount('bsecret');
  b = { ...other, secrets: [...other.secrets, ...other.names] };
}, 120_000);

/** A query built from the schema by a seeded random walk. */
function randomQuery(seed: number, ids: string[]): { query: string; variables: Record<string, unknown> } {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]) => defined(xs[Math.floor(next() * xs.length)], 'a pick from a non-empty list');
  const variables: Record<string, unknown> = {};
  let counter = 0;

  const argsFor = (field: GraphQLField<unknown, unknown>): string => {
    const parts: string[] = [];
    for (const arg of field.args) {
      const named = getNamedType(arg.type);
      if (!isNonNullType(arg.type) && next() < 0.5) continue;
      const name = `v${counter++}`;
      let value: unknown;
      if (named.name === 'ID') value = pick(ids);
      else if (named.name === 'Int') value = pick([1, 5, 20, 100]);
      else if (named.name === 'Boolean') value = next() < 0.5;
      else if (isEnumType(named)) value = pick(named.getValues().map((v) => v.name));
      else if (named.name === 'String') value = pick(['qwen-max', 'alpha', 'bsecret', '']);
      else continue; // input objects: leave optional ones out
      variables[name] = value;
      parts.push(`${arg.name}: $${name}`);
      declarations.push(`$${name}: ${arg.type.toString()}`);
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  };
  const declarations: string[] = [];

  const selectionOf = (type: GraphQLNamedType, depth: number): string => {
    if (isScalarType(type) || isEnumType(type)) return '';
    if (isAbstractType(type)) {
      const fragments = schema.getPossibleTypes(type).map((t) => `... on ${t.name} ${selectionOf(t, depth)}`);
      return `{ __typename ${fragments.join(' ')} }`;
    }
    if (!isObjectType(type)) return '';
    const fields = Object.values(type.getFields()).filter(
      (f) => depth < 4 || isScalarType(getNamedType(f.type)) || isEnumType(getNamedType(f.type)),
    );
    const chosen = fields.filter((f) => f.name === 'id' || next() < 0.45);
    const parts = chosen.map((f) => `${f.name}${argsFor(f)} ${selectionOf(getNamedType(f.type), depth + 1)}`);
    return `{ __typename ${parts.join(' ')} }`;
  };

  const roots = Object.values(defined(schema.getQueryType(), 'the query type').getFields());
  const root = pick(roots);
  const body = `${root.name}${argsFor(root)} ${selectionOf(getNamedType(root.type), 1)}`;
  return { query: `query${declarations.length ? `(${declarations.join(', ')})` : ''} { ${body} }`, variables };
}

describe('tenant isolation under random queries', () => {
  it('no answer to account A ever holds an ID, name or key prefix of account B', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.nat(3), async (seed, who) => {
        const { query, variables } = randomQuery(seed, [...a.ids, ...b.ids]);
        const response = await t.client.request(query, variables, { token: defined(a.tokens[who], `token ${who} of account A`) });
        const text = JSON.stringify({ data: response.data, errors: response.errors });
        for (const secret of [...b.ids, ...b.secrets]) expect(text, `${query}\n${JSON.stringify(variables)}`).not.toContain(secret);
        for (const error of response.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
      }),
      { numRuns: 300, seed: 424242 },
    );
  }, 240_000);
});
