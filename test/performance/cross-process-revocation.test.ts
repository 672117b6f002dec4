import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { createUser, signUp } from '../helpers/fixtures.js';
import { GraphQLClient, dataOf, outcomeOf } from '../helpers/graphql-client.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

/**
 * Two server processes on one PostgreSQL database: a revocation made through one is enforced
 * by the other on the very next request. (PGlite is one process's database: PostgreSQL only.)
 */
describe.skipIf(testDatabaseKind() !== 'postgres')('revocation across two server processes', () => {
  const a = gatewayForThisFile();
  let b: ServerProcess | undefined;
  let viaB: GraphQLClient;

  beforeAll(async () => {
    const started = await startServerProcess(defined(a.databaseUrl, 'the URL of the test database (PostgreSQL runs only)'));
    b = started;
    viaB = new GraphQLClient(started.url);
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
  });

  const ACCESS = `{ modelAccess(model: "qwen-max") { allowed reason } }`;
  const accessViaB = async (secret: string) => {
    const result = await viaB.request<{ modelAccess: { allowed: boolean; reason: string } }>(ACCESS, {}, { token: secret });
    return result.errors ? outcomeOf(result) : dataOf(result).modelAccess.reason;
  };

  it('key deletion, member removal, disabling and closing models take effect at once', async () => {
    const c = a.client;
    const root = await signUp(c);
    await c.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );
    const w = (
      await c.ok<{ createWorkspace: { id: string } }>(
        `mutation { createWorkspace(input: { name: "shared", region: CN_BEIJING }) { id } }`,
        {},
        root.token,
      )
    ).createWorkspace.id;
    await c.ok(
      `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: true }) { inference } }`,
      { w },
      root.token,
    );
    const user = await createUser(c, root.token);
    await c.ok<{ registerModelStudioUser: { id: string } }>(
      `mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`,
      { id: user.id },
      root.token,
    );
    const setPages = () =>
      c.ok(
        `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [API_KEY] }) { pages } }`,
        { w, p: user.id },
        root.token,
      );
    await setPages();
    const key = (
      await c.ok<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
        `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret apiKey { id } } }`,
        { w },
        user.token,
      )
    ).createApiKey;

    expect(await accessViaB(key.secret)).toBe('ALLOWED');
    await c.ok<{ removeMember: { id: string } }>(
      `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`,
      { w, p: user.id },
      root.token,
    );
    expect(await accessViaB(key.secret)).toBe('KEY_INACTIVE');
    await setPages();
    expect(await accessViaB(key.secret)).toBe('ALLOWED');

    await c.ok<{ disableRamUser: { id: string } }>(`mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: user.id }, root.token);
    expect(await accessViaB(key.secret)).toBe('KEY_INACTIVE');
    expect(outcomeOf(await viaB.request(`{ viewer { principal { id } } }`, {}, { token: user.token }))).toBe('UNAUTHENTICATED');
    await c.ok<{ enableRamUser: { id: string } }>(`mutation($id: ID!) { enableRamUser(id: $id) { id } }`, { id: user.id }, root.token);
    expect(await accessViaB(key.secret)).toBe('ALLOWED');

    await c.ok<{ setAllModelsAccess: { id: string } }>(
      `mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: CLOSE }) { id } }`,
      { w },
      root.token,
    );
    expect(await accessViaB(key.secret)).toBe('MODEL_NOT_AUTHORIZED');
    await c.ok<{ setAllModelsAccess: { id: string } }>(
      `mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: OPEN }) { id } }`,
      { w },
      root.token,
    );
    expect(await accessViaB(key.secret)).toBe('ALLOWED');

    await c.ok<{ deleteApiKey: { id: string } }>(`mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: key.apiKey.id }, root.token);
    expect(await accessViaB(key.secret)).toBe('UNAUTHENTICATED');
  }, 60_000);
});
