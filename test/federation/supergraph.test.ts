import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPRESENTATIONS } from '../../src/federation.js';
import { buildBareSchema } from '../../src/schema.js';
import { createUser } from '../helpers/fixtures.js';
import { firstError, GraphQLClient, outcomeOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import { missingId, modelStudioAccount, type ModelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

/**
 * FEDERATION=true (src/federation.ts): this gateway is a Federation 2 subgraph. It is composed
 * with a second, tiny subgraph (cost centers of workspaces) by @apollo/composition, and queried
 * through a real @apollo/gateway that forwards the client's Authorization header to both. The
 * references the router sends back to this subgraph (`_entities`) are authorized as `node(id)`.
 */
const t = gatewayForThisFile({ federation: true });

/** The second subgraph's data: cost center code → workspace ID (any account's: it knows nothing of them). */
const costCenters = new Map<string, string>();

const COSTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Workspace @key(fields: "id") {
    id: ID!
    costCenter: String
  }

  type CostCenter {
    code: String!
    workspace: Workspace
  }

  type Query {
    costCenter(code: String!): CostCenter
  }
`;

const costsSchema = buildSubgraphSchema({
  typeDefs: parse(COSTS_SDL),
  resolvers: {
    Workspace: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      costCenter: ({ id }: { id: string }) => [...costCenters].find(([, workspaceId]) => workspaceId === id)?.[0] ?? null,
    },
    Query: {
      costCenter: (_root: unknown, { code }: { code: string }) => {
        const workspaceId = costCenters.get(code);
        return workspaceId === undefined ? null : { code, workspace: { id: workspaceId } };
      },
    },
  },
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let costs: ApolloServer | undefined;
let router: ApolloServer<{ authorization?: string | undefined }> | undefined;
let through: GraphQLClient;
let supergraphSdl: string;
let ownSdl: string;

beforeAll(async () => {
  costs = new ApolloServer({ schema: costsSchema, logger: quiet });
  const { url: costsUrl } = await startStandaloneServer(costs, { listen: { port: 0, host: '127.0.0.1' } });
  // The SDL a router would read from this subgraph: `_service` is public while introspection is on.
  ownSdl = (await t.client.ok<{ _service: { sdl: string } }>('{ _service { sdl } }'))._service.sdl;
  const composed = composeServices([
    { name: 'model-studio', typeDefs: parse(ownSdl), url: t.url },
    { name: 'costs', typeDefs: parse(COSTS_SDL), url: costsUrl },
  ]);
  expect(composed.errors, composed.errors?.map((error) => error.message).join('\n')).toBeUndefined();
  supergraphSdl = defined(composed.supergraphSdl, 'the supergraph');
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: quiet,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ authorization?: string | undefined }>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  });
  // @apollo/gateway 2 implements the gateway interface Apollo Server 5 calls (its types are those of v1).
  router = new ApolloServer<{ authorization?: string | undefined }>({ gateway: gateway as never, logger: quiet });
  const { url } = await startStandaloneServer(router, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  through = new GraphQLClient(url);
});

afterAll(async () => {
  await router?.stop();
  await costs?.stop();
});

const COST_CENTER = `query($code: String!) { costCenter(code: $code) { code workspace { id name } } }`;
type CostCenterData = { costCenter: { code: string; workspace: { id: string; name: string } | null } | null };

/** A reference to `workspaceId` made by the costs subgraph, resolved through this one by the router. */
async function costCenterOf(workspaceId: string, token?: string): Promise<GraphQLResponse<CostCenterData>> {
  const code = `CC-${workspaceId}`;
  costCenters.set(code, workspaceId);
  return through.request<CostCenterData>(COST_CENTER, { code }, { token });
}

describe('federation: this gateway as a subgraph behind @apollo/gateway', () => {
  let a: ModelStudioAccount;
  let b: ModelStudioAccount;
  beforeAll(async () => {
    [a, b] = [await modelStudioAccount(t.client), await modelStudioAccount(t.client)];
  });

  it('composes with another subgraph: every type with a global ID is an entity keyed by id', () => {
    for (const type of [
      'Account',
      'RootPrincipal',
      'RamUser',
      'RamRole',
      'Workspace',
      'ApiKey',
      'AccessKey',
      'KnowledgeBase',
      'AuditEvent',
    ]) {
      expect(ownSdl).toMatch(new RegExp(`type ${type}\\b[^{]*@key\\(fields: "id"\\)`));
    }
    expect(supergraphSdl).toContain('costCenter: String');
  });

  it('serves one query from both subgraphs, with the caller forwarded', async () => {
    costCenters.set('CC-A-W', a.W);
    const result = await through.request<{
      workspaces: { edges: Array<{ node: { id: string; name: string; costCenter: string | null } }> };
    }>(`{ workspaces { edges { node { id name costCenter } } } }`, {}, { token: a.token });
    expect(result.errors).toBeUndefined();
    const nodes = defined(result.data, 'the data').workspaces.edges.map((edge) => edge.node);
    expect(nodes.map((node) => node.id).sort((x, y) => x.localeCompare(y))).toEqual([a.D, a.W].sort((x, y) => x.localeCompare(y)));
    expect(nodes.find((node) => node.id === a.W)).toEqual({ id: a.W, name: 'W', costCenter: 'CC-A-W' });
    expect(nodes.find((node) => node.id === a.D)?.costCenter).toBeNull();
  });

  it("resolves a reference to the caller's own workspace (`_entities`, as node(id))", async () => {
    const result = await costCenterOf(a.W, a.token);
    expect(result.errors).toBeUndefined();
    expect(defined(result.data, 'the data').costCenter?.workspace).toEqual({ id: a.W, name: 'W' });
  });

  it("refuses a reference to another account's workspace exactly like a missing one: null and NOT_FOUND", async () => {
    const foreign = await costCenterOf(b.W, a.token);
    const missing = await costCenterOf(missingId.workspace(), a.token);
    expect(outcomeOf(foreign)).toBe('NOT_FOUND');
    expect(firstError(foreign).message).toBe(firstError(missing).message);
    expect(defined(foreign.data, 'the data').costCenter?.workspace ?? null).toBeNull();
    expect(JSON.stringify(foreign)).not.toContain("'W'");
  });

  it('refuses a reference the caller may not read: FORBIDDEN', async () => {
    // A RAM user with no policy and no membership may not read the account's workspaces.
    const user = await createUser(t.client, a.token);
    const direct = await t.client.request(`query($id: ID!) { node(id: $id) { id } }`, { id: a.W }, { token: user.token });
    expect(outcomeOf(direct)).toBe('FORBIDDEN');
    const result = await costCenterOf(a.W, user.token);
    expect(outcomeOf(result)).toBe('FORBIDDEN');
    expect(defined(result.data, 'the data').costCenter?.workspace ?? null).toBeNull();
  });

  it('refuses an anonymous caller: UNAUTHENTICATED', async () => {
    expect(outcomeOf(await costCenterOf(a.W))).toBe('UNAUTHENTICATED');
    expect(outcomeOf(await through.request(`{ workspaces { edges { node { id } } } }`))).toBe('UNAUTHENTICATED');
  });

  it('decides each reference of one `_entities` call on its own', async () => {
    const result = await t.client.request<{ _entities: Array<{ id: string; name?: string } | null> }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workspace { id name } } }`,
      {
        r: [
          { __typename: 'Workspace', id: a.W },
          { __typename: 'Workspace', id: b.W },
          { __typename: 'RamUser', id: a.W },
          { __typename: 'PageInfo', id: a.W },
        ],
      },
      { token: a.token },
    );
    expect(defined(result.data, 'the data')._entities).toEqual([{ id: a.W, name: 'W' }, null, null, null]);
    const byPath = Object.fromEntries(
      (result.errors ?? []).map((error) => [JSON.stringify(error.path), [error.extensions?.code, error.extensions?.field]]),
    );
    expect(byPath).toEqual({
      '["_entities",1]': ['NOT_FOUND', undefined],
      '["_entities",2]': ['BAD_USER_INPUT', 'representations.2.id'],
      '["_entities",3]': ['BAD_USER_INPUT', 'representations.3.__typename'],
    });
    const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename } }`;
    const anonymous = await t.client.request(ENTITIES, { r: [{ __typename: 'Workspace', id: a.W }] });
    expect(outcomeOf(anonymous)).toBe('UNAUTHENTICATED');
    const tooMany = Array.from({ length: MAX_REPRESENTATIONS + 1 }, () => ({ __typename: 'Workspace', id: a.W }));
    expect(outcomeOf(await t.client.request(ENTITIES, { r: tooMany }, { token: a.token }))).toBe('BAD_USER_INPUT');
  });

  it("sends no inline trace (per-field timings) to a caller who asks for Apollo's", async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.token}`, 'apollo-federation-include-trace': 'ftv1' },
      body: JSON.stringify({ query: '{ workspaces { edges { node { id } } } }' }),
    });
    const body = (await response.json()) as { data?: unknown; extensions?: Record<string, unknown> };
    expect(body.data).toBeTruthy();
    expect(body.extensions?.ftv1).toBeUndefined();
  });
});

describe('federation: the schema', () => {
  it('declares the subgraph fields with the authorization directives, `_entities` as node(id)', () => {
    const { declarations } = buildBareSchema({ federation: { serviceSdl: true } });
    expect(declarations.get('Query._entities')).toEqual({ kind: 'authenticated', via: null });
    expect(declarations.get('Query._service')).toEqual({ kind: 'public' });
    expect(declarations.get('_Service.sdl')).toEqual({ kind: 'withParent', declaredOn: 'type' });
    // What src/federation.ts authorizes each reference with.
    expect(declarations.get('Query.node')).toEqual({
      kind: 'canChosen',
      choice: 'node',
      resource: { source: 'ARGUMENT', argument: ['id'] },
    });
  });

  it('serves no `_service` without introspection, and nothing of federation when it is off', () => {
    const withoutSdl = buildBareSchema({ federation: { serviceSdl: false } })
      .schema.getQueryType()
      ?.getFields();
    expect(Object.keys(withoutSdl ?? {})).toContain('_entities');
    expect(Object.keys(withoutSdl ?? {})).not.toContain('_service');
    const plain = buildBareSchema().schema;
    expect(Object.keys(plain.getQueryType()?.getFields() ?? {}).filter((name) => name.startsWith('_'))).toEqual([]);
    expect(plain.getType('_Entity')).toBeUndefined();
  });
});
