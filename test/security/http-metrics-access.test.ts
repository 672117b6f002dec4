import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../helpers/test-gateway.js';
import { defined } from '../helpers/assertions.js';

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET };
const TOKEN = 'a-metrics-token-long-enough';

/** Where /metrics is, for the given environment, as the configuration decides it. */
const metricsFor = (env: Record<string, string>) => loadConfig(env).metrics;

function gatewayWith(env: Record<string, string>) {
  const holder: { t?: TestGateway } = {};
  beforeAll(async () => (holder.t = await startTestGateway({ metrics: metricsFor(env) })));
  afterAll(() => holder.t?.close());
  return () => defined(holder.t, 'the gateway').url.replace('/graphql', '');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const get = (url: string, token?: string) => fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('/metrics in development, nothing configured', () => {
  const base = gatewayWith({});
  it('is open on the main port, as before', async () => {
    const response = await get(`${base()}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('process_resident_memory_bytes');
  });
});

describe('/metrics in production, nothing configured', () => {
  const base = gatewayWith(PRODUCTION);
  it('is not served on the main port', async () => {
    const response = await get(`${base()}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('process_resident_memory_bytes');
  });
});

describe.each([
  { mode: 'production', env: { ...PRODUCTION, METRICS_TOKEN: TOKEN } },
  { mode: 'development', env: { METRICS_TOKEN: TOKEN } },
])('/metrics with METRICS_TOKEN ($mode)', ({ env }) => {
  const base = gatewayWith(env);
  it('answers 401 without the token or with another one, 200 with it', async () => {
    const none = await get(`${base()}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('process_resident_memory_bytes');
    expect((await get(`${base()}/metrics`, `${TOKEN}x`)).status).toBe(401);
    const granted = await get(`${base()}/metrics`, TOKEN);
    expect(granted.status).toBe(200);
    expect(await granted.text()).toContain('process_resident_memory_bytes');
  });
});

describe('/metrics with METRICS_PORT (in process)', () => {
  let t: TestGateway;
  let metricsUrl: string;
  beforeAll(async () => {
    t = await startTestGateway({ metrics: metricsFor({ ...PRODUCTION, METRICS_PORT: '0', METRICS_TOKEN: TOKEN }) });
    const metricsServer = defined(t.gateway.metricsServer, 'the metrics server');
    await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
    metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => t?.close());

  it('is served on its own listener (token still required), not on the main port', async () => {
    expect((await get(`${t.url.replace('/graphql', '')}/metrics`, TOKEN)).status).toBe(404);
    expect((await get(metricsUrl)).status).toBe(401);
    expect((await get(metricsUrl, TOKEN)).status).toBe(200);
    // The listener serves metrics, not the API.
    expect((await get(metricsUrl.replace('/metrics', '/graphql'), TOKEN)).status).toBe(404);
  });
});

describe.skipIf(testDatabaseKind() !== 'postgres')('/metrics with METRICS_PORT and METRICS_HOST (server process, PostgreSQL)', () => {
  let holder: TestGateway | undefined;
  let server: ServerProcess | undefined;
  let metricsPort: number;
  beforeAll(async () => {
    holder = await startTestGateway();
    metricsPort = await freePort();
    server = await startServerProcess(defined(holder.databaseUrl, 'the database URL'), {
      NODE_ENV: 'production',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await holder?.close();
  });

  it('serves /metrics on 127.0.0.1:METRICS_PORT only', async () => {
    expect((await get(`${defined(server, 'the server process').url.replace('/graphql', '')}/metrics`)).status).toBe(404);
    const response = await get(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('gateway_graphql_request_duration_seconds');
  });
});
