import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  activateModelStudio,
  authorizeModel,
  type Connection,
  createApiKey,
  createWorkspace,
  GatewayError,
  listWorkspaces,
  login,
  modelAccess,
  signUp,
  walkThrough,
  type WorkspaceWithPermissions,
} from '../../examples/typed-client/client.js';
import codegenConfig from '../../examples/typed-client/codegen.js';
import type { ModelAccessReason, Region, WorkspaceKind } from '../../examples/typed-client/gql/graphql.js';
import { printGatewaySchema } from '../../src/http/schema-route.js';
import { projectRoot } from '../../src/project-root.js';
import { defined } from '../helpers/assertions.js';
import { gatewayForThisFile, startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

/**
 * The typed-client example (examples/typed-client, GraphQL Code Generator's client preset) run
 * end to end against a live gateway, and the printed SDL it is generated from, as served.
 */
const CONSOLE_ORIGIN = 'http://console.example.test';
const gateway = gatewayForThisFile({ corsOrigins: [CONSOLE_ORIGIN] });
const PASSWORD = 'a long example passphrase';
const committedSchema = () => readFileSync(join(projectRoot(), 'docs', 'schema.graphql'), 'utf8');
const schemaUrl = () => new URL('/schema.graphql', gateway.url).href;

describe('the typed client, against a live gateway', () => {
  let root: Connection;
  let workspaceId: string;
  let keySecret: string;

  it('signs up and logs in: a session for the root', async () => {
    const session = await signUp(
      { endpoint: gateway.url },
      { accountName: 'typed-client', email: 'root@typed-client.test', password: PASSWORD },
    );
    expectTypeOf(session.token).toEqualTypeOf<string>();
    expect(session.principal).toMatchObject({ kind: 'ROOT' });
    const again = await login({ endpoint: gateway.url }, { loginName: 'root@typed-client.test', password: PASSWORD });
    expect(again.principal.id).toBe(session.principal.id);
    root = { endpoint: gateway.url, token: again.token };
  });

  it('activates Model Studio, creates a sub-workspace and lists both with the viewer permissions', async () => {
    const defaultWorkspace = await activateModelStudio(root, 'CN_BEIJING');
    expect(defaultWorkspace).toMatchObject({ kind: 'DEFAULT', region: 'CN_BEIJING' });
    const research = await createWorkspace(root, 'research', 'CN_BEIJING');
    workspaceId = research.id;

    const workspaces = await listWorkspaces(root);
    expectTypeOf(workspaces).toEqualTypeOf<WorkspaceWithPermissions[]>();
    expectTypeOf<WorkspaceWithPermissions['kind']>().toEqualTypeOf<WorkspaceKind>();
    expectTypeOf<WorkspaceWithPermissions['region']>().toEqualTypeOf<Region>();
    expectTypeOf<WorkspaceWithPermissions['viewerPermissions']['createApiKey']>().toEqualTypeOf<boolean>();
    expect(workspaces.map(({ id, kind }) => ({ id, kind }))).toEqual([
      { id: defaultWorkspace.id, kind: 'DEFAULT' },
      { id: research.id, kind: 'SUB' },
    ]);
    const sub = defined(
      workspaces.find((workspace) => workspace.id === research.id),
      'the sub-workspace',
    );
    // The root may do everything; models are authorized in sub-workspaces only.
    expect(sub.viewerPermissions).toEqual({
      renameWorkspace: true,
      manageMembers: true,
      listMembers: true,
      authorizeModel: true,
      createApiKey: true,
      listApiKeys: true,
      readUsage: true,
    });
    expect(workspaces.find((workspace) => workspace.kind === 'DEFAULT')?.viewerPermissions.authorizeModel).toBe(false);
  });

  it('authorizes a model and creates an API key: the secret, once', async () => {
    expect(await authorizeModel(root, workspaceId, 'qwen-plus')).toMatchObject({ model: { id: 'qwen-plus' }, inference: true });
    const created = await createApiKey(root, { workspaceId, description: 'inference proxy' });
    expectTypeOf(created.secret).toEqualTypeOf<string>();
    expect(created.secret).toMatch(/^sk-/);
    expect(created.apiKey).toMatchObject({ status: 'ACTIVE', description: 'inference proxy' });
    expect(created.secret.startsWith(created.apiKey.prefix)).toBe(true);
    keySecret = created.secret;
  });

  it('asks, with the key, which models it may call', async () => {
    const proxy: Connection = { endpoint: gateway.url, token: keySecret };
    const allowed = await modelAccess(proxy, 'qwen-plus');
    expectTypeOf(allowed.reason).toEqualTypeOf<ModelAccessReason>();
    expect(allowed).toMatchObject({ allowed: true, reason: 'ALLOWED', workspace: { id: workspaceId } });
    expect(await modelAccess(proxy, 'qwen-max')).toMatchObject({ allowed: false, reason: 'MODEL_NOT_AUTHORIZED' });
  });

  it('a refused operation throws a GatewayError with the code', async () => {
    // An API key never reaches the management layer.
    const error = await createWorkspace({ endpoint: gateway.url, token: keySecret }, 'nope', 'CN_BEIJING').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('FORBIDDEN');
    const unauthenticated = await listWorkspaces({ endpoint: gateway.url }).catch((e: unknown) => e);
    expect((unauthenticated as GatewayError).code).toBe('UNAUTHENTICATED');
  });

  it('the whole walk-through (examples/typed-client/run.ts)', async () => {
    const result = await walkThrough(gateway.url, 'typed-client-walk', PASSWORD);
    expect(result.workspaces.map((workspace) => workspace.kind)).toEqual(['DEFAULT', 'SUB']);
    expect(result.authorized).toMatchObject({ allowed: true, reason: 'ALLOWED' });
    expect(result.notAuthorized).toMatchObject({ allowed: false, reason: 'MODEL_NOT_AUTHORIZED' });
  });
});

describe("the example's generated code", () => {
  it('is what `npm run examples:codegen` writes from docs/schema.graphql and ./operations now', async () => {
    const outputs = (await generate({ ...codegenConfig, silent: true }, false)) as Array<{ filename: string; content: string }>;
    expect(new Set(outputs.map((output) => output.filename))).toEqual(
      new Set(['gql.ts', 'graphql.ts', 'index.ts'].map((file) => join(projectRoot(), 'examples', 'typed-client', 'gql', file))),
    );
    for (const output of outputs) {
      expect(readFileSync(output.filename, 'utf8'), `${output.filename} is stale: npm run examples:codegen`).toBe(output.content);
    }
  });
});

describe('GET /schema.graphql', () => {
  it('serves the printed SDL, the same text as docs/schema.graphql', async () => {
    const response = await fetch(schemaUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await response.text();
    expect(text).toBe(printGatewaySchema());
    expect(text).toBe(committedSchema());
  });

  it('answers a conditional request with 304, and HEAD without a body', async () => {
    const etag = defined((await fetch(schemaUrl())).headers.get('etag'), 'the ETag');
    expect((await fetch(schemaUrl(), { headers: { 'if-none-match': etag } })).status).toBe(304);
    const head = await fetch(schemaUrl(), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(schemaUrl(), { method: 'POST' })).status).toBe(405);
  });

  it('a listed browser front end may fetch it (CORS)', async () => {
    const response = await fetch(schemaUrl(), { headers: { origin: CONSOLE_ORIGIN } });
    expect(response.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    const preflight = await fetch(schemaUrl(), {
      method: 'OPTIONS',
      headers: { origin: CONSOLE_ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    const other = await fetch(schemaUrl(), { headers: { origin: 'https://elsewhere.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  describe('with introspection off (production)', () => {
    let closed: TestGateway;
    beforeAll(async () => {
      closed = await startTestGateway({ introspection: false });
    });
    afterAll(async () => {
      await closed?.close();
    });

    it('is not served: 404, like any unknown path', async () => {
      const response = await fetch(new URL('/schema.graphql', closed.url));
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('type Query');
    });
  });
});
