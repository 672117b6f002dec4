import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBareSchema } from '../../src/schema.js';
import { createUser, signUp, type TestAccount } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { fingerprint } from '../matrix/world.js';
import { argumentsFor, connectionArguments, connectionOperations, operationFor } from './schema-inputs.js';
import { defined } from '../helpers/assertions.js';

/**
 * Random, hostile input for every mutation, every query with arguments and every connection's
 * cursor, sent by the root (who gets past authorization to the validation) and anonymously:
 * never a crash or an internal error, only client-error codes; and a refusal changes nothing.
 * The input includes what PostgreSQL itself refuses (NUL, lone surrogates, numbers past bigint,
 * timestamps outside its range in forged cursors) and bidi and invisible characters.
 */
const t = gatewayForThisFile();
const schema = buildBareSchema().schema;
const CLIENT_ERRORS = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'RATE_LIMITED',
  'GRAPHQL_VALIDATION_FAILED',
]);
const mutations = Object.keys(defined(schema.getMutationType(), 'the Mutation type').getFields());
const queries = Object.values(defined(schema.getQueryType(), 'the Query type').getFields())
  .filter((field) => field.args.length > 0)
  .map((field) => field.name);
const RUNS = { numRuns: 12, seed: 20261128 };

let root: TestAccount;
let workspaceId: string;
let known: string[] = [];

beforeAll(async () => {
  root = await signUp(t.client);
  const d = await t.client.ok<{ activateModelStudio: { id: string } }>(
    `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
    {},
    root.token,
  );
  workspaceId = (
    await t.client.ok<{ createWorkspace: { id: string } }>(
      `mutation { createWorkspace(input: { name: "fuzz", region: CN_BEIJING }) { id } }`,
      {},
      root.token,
    )
  ).createWorkspace.id;
  const user = await createUser(t.client, root.token);
  const key = await t.client.ok<{ createApiKey: { apiKey: { id: string } } }>(
    `mutation
($w: ID!) { createApiKey(input: { workspaceId: $w }) { apiKey { id } } }`,
    { w: workspaceId },
    root.token,
  );
  known = [
    d.activateModelStudio.id,
    workspaceId,
    user.id,
    key.createApiKey.apiKey.id,
    root.rootId,
    root.accountId,
    'qwen-max',
    'qwen-plus',
  ];
});

/** Sends the operation (anonymously without a token): only client-error codes, and nothing changed when refused. */
async function expectOnlyClientErrors(query: string, variables: Record<string, unknown>, token: string | null) {
  const before = await fingerprint(t.database.db, root.accountId);
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBeLessThan(500);
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> };
  for (const error of body.errors ?? []) expect(CLIENT_ERRORS, JSON.stringify(error)).toContain(error.extensions?.code);
  if (body.errors?.length) expect(await fingerprint(t.database.db, root.accountId)).toBe(before);
}

describe.each([
  ['the root', () => root.token],
  ['an anonymous caller', () => null],
])('hostile input from %s', (_caller, token) => {
  it.each(mutations)(
    'mutation %s',
    async (mutation) => {
      const query = operationFor(schema, 'Mutation', mutation);
      await fc.assert(
        fc.asyncProperty(argumentsFor(schema, 'Mutation', mutation, known), (variables) =>
          expectOnlyClientErrors(query, variables, token()),
        ),
        RUNS,
      );
    },
    120_000,
  );

  it.each(queries)(
    'query %s',
    async (field) => {
      const query = operationFor(schema, 'Query', field);
      await fc.assert(
        fc.asyncProperty(argumentsFor(schema, 'Query', field, known), (variables) => expectOnlyClientErrors(query, variables, token())),
        { ...RUNS, numRuns: 25 },
      );
    },
    120_000,
  );

  it.each(connectionOperations(schema))(
    'cursor of %s',
    async (_connection, query) => {
      const variables = query.includes('$workspaceId')
        ? connectionArguments.map((args) => ({ ...args, workspaceId }))
        : connectionArguments;
      await fc.assert(
        fc.asyncProperty(variables, (values) => expectOnlyClientErrors(query, values, token())),
        { ...RUNS, numRuns: 25 },
      );
    },
    120_000,
  );
});
