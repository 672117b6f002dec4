import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createUser, signUp } from '../helpers/fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

/** A gateway whose log goes to memory, to read what it writes. */
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway(
    {},
    { logger: pino({ level: 'info', redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } }, sink) },
  );
});
afterAll(() => t?.close());

const base = () => t.url.replace('/graphql', '');

describe('operations endpoints', () => {
  it('/healthz and /readyz answer with the database up and migrations applied', async () => {
    const health = await fetch(`${base()}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', database: 'up' });
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, database: 'up', migrations: 'applied' });
  });

  it('/metrics counts requests by root field and authorization denials by ability', async () => {
    const root = await signUp(t.client);
    const user = await createUser(t.client, root.token);
    await t.client.request(`mutation { createWorkspace(input: { name: "nope", region: CN_BEIJING }) { id } }`, {}, { token: user.token });
    const text = await (await fetch(`${base()}/metrics`)).text();
    expect(text).toMatch(/gateway_graphql_requests_total\{operation="createWorkspace",type="mutation",outcome="FORBIDDEN"\} 1/);
    expect(text).toMatch(/gateway_authorization_denials_total\{ability="create_workspace",denial="FORBIDDEN"\} 1/);
    expect(text).toMatch(/gateway_graphql_request_duration_seconds_bucket\{le="[0-9.]+",operation="signUp",type="mutation"\}/);
    expect(text).toContain('process_resident_memory_bytes');
  });
});

describe('the log', () => {
  it('has a line per request with its request id and principal, and never a password, token or key secret', async () => {
    const root = await signUp(t.client);
    const key = await t.client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: EU_CENTRAL_1, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );
    const secret = (
      await t.client.ok<{ createApiKey: { secret: string } }>(
        `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret } }`,
        { w: key.activateModelStudio.id },
        root.token,
      )
    ).createApiKey.secret;
    await t.client.request(`{ modelAccess(model: "qwen-max") { allowed } }`, {}, { token: secret });
    await t.client.request(`mutation($i: LoginInput!) { login(input: $i) { token } }`, {
      i: { loginName: root.email, password: 'a wrong password' },
    });

    const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'graphql request');
    const modelAccessLine = requests.find((entry) => entry.operation === 'modelAccess');
    expect(modelAccessLine).toMatchObject({
      via: 'API_KEY',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      principalId: root.rootId,
    });
    const log = lines.join('\n');
    for (const leak of [PASSWORD, 'a wrong password', root.token, secret, secret.slice(3)]) expect(log).not.toContain(leak);
  });
});
