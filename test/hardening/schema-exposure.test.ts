import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/test-gateway.js';

/**
 * Introspection and "Did you mean …" hints both hand out the schema: on in development (GraphiQL
 * needs them), off by default in production, and each configurable.
 */
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET };

describe('configuration', () => {
  it('production turns introspection, suggestions and GraphiQL off; development has them on', () => {
    expect(loadConfig(PRODUCTION)).toMatchObject({ introspection: false, schemaSuggestions: false, graphiql: false });
    expect(loadConfig({ NODE_ENV: 'development' })).toMatchObject({ introspection: true, schemaSuggestions: true, graphiql: true });
  });

  it('each can be turned on in production, or off in development', () => {
    expect(loadConfig({ ...PRODUCTION, INTROSPECTION: 'true', SCHEMA_SUGGESTIONS: '1' })).toMatchObject({
      introspection: true,
      schemaSuggestions: true,
    });
    expect(loadConfig({ NODE_ENV: 'development', INTROSPECTION: 'false', SCHEMA_SUGGESTIONS: '0' })).toMatchObject({
      introspection: false,
      schemaSuggestions: false,
    });
    expect(() => loadConfig({ SCHEMA_SUGGESTIONS: 'maybe' })).toThrow(/SCHEMA_SUGGESTIONS/);
  });
});

const INTROSPECTION_QUERY = '{ __schema { queryType { name } } }';
const TYPO_QUERY = '{ viewr { principal { id } } }';

async function post(gateway: TestGateway, query: string) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> },
  };
}

describe('through the API', () => {
  let production: TestGateway;
  let development: TestGateway;

  beforeAll(async () => {
    const { introspection, schemaSuggestions, graphiql } = loadConfig(PRODUCTION);
    production = await startTestGateway({ production: true, introspection, schemaSuggestions, graphiql });
    development = await startTestGateway();
  });
  afterAll(async () => {
    await production?.close();
    await development?.close();
  });

  it('production: introspection is refused before execution, with a clear error', async () => {
    const { status, body } = await post(production, INTROSPECTION_QUERY);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0]?.message).toMatch(/introspection is not allowed/i);
  });

  it('production: a misspelt field names no other field', async () => {
    const { body } = await post(production, TYPO_QUERY);
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0]?.message).toContain('viewr');
    expect(JSON.stringify(body)).not.toMatch(/did you mean|"viewer"/i);
  });

  it('production: __typename still answers (clients use it), and GraphiQL is not served', async () => {
    expect((await post(production, '{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
    expect((await fetch(production.url.replace(/\/graphql$/, '/graphiql'))).status).toBe(404);
    const visit = await fetch(production.url, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(visit.status).toBe(400);
  });

  it('development: a browser opening /graphql is sent to GraphiQL; a GET with a query is served', async () => {
    const visit = await fetch(development.url, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toBe('/graphiql');
    const query = await fetch(`${development.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'text/html,application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('development: introspection answers, and a misspelt field gets a suggestion', async () => {
    expect((await post(development, INTROSPECTION_QUERY)).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    const { body } = await post(development, TYPO_QUERY);
    expect(body.errors?.[0]?.message).toMatch(/Did you mean "viewer"\?/);
  });
});
