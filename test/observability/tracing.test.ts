import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tracingConfig } from '../../src/observability/tracing.js';
import { defined } from '../helpers/assertions.js';
import { PASSWORD, createRole, createUser } from '../helpers/fixtures.js';
import { GraphQLClient } from '../helpers/graphql-client.js';
import { CREATE_WORKSPACE, modelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { TEST_JWT_SECRET, startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { openTestDatabase, testDatabaseKind } from '../helpers/test-database.js';

/** A span as an OTLP/HTTP JSON export carries it, with its attributes flattened. */
interface ExportedSpan {
  scope: string;
  service: unknown;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

type OtlpValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
};
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      scope: { name: string };
      spans?: Array<{ name: string; kind: number; traceId: string; spanId: string; parentSpanId?: string; attributes?: OtlpAttribute[] }>;
    }>;
  }>;
}

const otlpValue = (value: OtlpValue): unknown =>
  value.arrayValue
    ? (value.arrayValue.values ?? []).map(otlpValue)
    : (value.stringValue ?? value.boolValue ?? value.intValue ?? value.doubleValue);
const attributesOf = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map((a) => [a.key, otlpValue(a.value)]));

/** A minimal OTLP/HTTP collector: what the gateway exports, as received (JSON bodies) and flattened. */
async function startCollector() {
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        bodies.push(body);
        contentTypes.push(String(request.headers['content-type']));
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const spans = (): ExportedSpan[] =>
    bodies.flatMap((body) =>
      ((JSON.parse(body) as OtlpExport).resourceSpans ?? []).flatMap((resourceSpans) =>
        (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
          (scopeSpans.spans ?? []).map((span) => ({
            scope: scopeSpans.scope.name,
            service: attributesOf(resourceSpans.resource?.attributes)['service.name'],
            name: span.name,
            kind: span.kind,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            attributes: attributesOf(span.attributes),
          })),
        ),
      ),
    );
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    contentTypes,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SERVER = 2; // SpanKind.SERVER + 1 in OTLP's enum (0 is UNSPECIFIED)

describe('tracing, end to end: the gateway as a process, preloaded with register-tracing, exporting to a collector', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  const cleanups: Array<() => Promise<void>> = [];
  let spans: ExportedSpan[] = [];
  let exitCode: number | null = null;
  let root: { token: string; accountId: string; W: string } | undefined;
  let denied: { userId: string } | undefined;
  const literalName = `literal-${Date.now()}`;
  const variableName = `variable-${Date.now()}`;

  beforeAll(async () => {
    collector = await startCollector();
    cleanups.push(collector.close);
    const database = await serverDatabase();
    cleanups.push(database.close);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './src/observability/register-tracing.ts', 'src/main.ts'], {
      env: {
        ...process.env,
        ...database.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        JWT_SECRET: TEST_JWT_SECRET,
        PASSWORD_HASH_COST: '10',
        LOG_LEVEL: 'silent',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'gateway-under-test',
        // Nothing is exported before the end: the spans reach the collector only if SIGTERM flushes them.
        OTEL_BSP_SCHEDULE_DELAY: '600000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      const started = Date.now();
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
        if (
          await fetch(`${base}/healthz`).then(
            (r) => r.ok,
            () => false,
          )
        )
          break;
        if (Date.now() - started > 30_000) throw new Error('the gateway did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      const client = new GraphQLClient(`${base}/graphql`);
      root = await modelStudioAccount(client);
      // A literal (in the document) and a variable: neither value may reach a span.
      await client.ok(`mutation { createWorkspace(input: { name: "${literalName}", region: CN_BEIJING }) { id } }`, {}, root.token);
      await client.ok(CREATE_WORKSPACE, { n: variableName, r: 'CN_BEIJING' }, root.token);
      const user = await createUser(client, root.token);
      denied = { userId: user.id };
      const refused = await client.request(CREATE_WORKSPACE, { n: 'refused', r: 'CN_BEIJING' }, { token: user.token });
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      exitCode = await new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      });
      spans = collector.spans();
    }
  }, 60_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('flushes the spans on SIGTERM, as OTLP/HTTP JSON, under OTEL_SERVICE_NAME', () => {
    expect(exitCode).toBe(0);
    expect(collector.contentTypes.length).toBeGreaterThan(0);
    for (const type of collector.contentTypes) expect(type).toContain('application/json');
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['gateway-under-test']));
  });

  it('has a server span per GraphQL request, with the GraphQL spans in its trace', () => {
    const requests = spans.filter((s) => s.scope === '@opentelemetry/instrumentation-http' && s.kind === SERVER);
    expect(requests.length).toBeGreaterThanOrEqual(5);
    for (const request of requests) {
      expect(request.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/graphql' });
      expect(request.parentSpanId).toBe('');
    }
    // Probes are not traced.
    expect(requests.some((s) => s.attributes['url.path'] === '/healthz')).toBe(false);

    const graphql = spans.filter((s) => s.scope === '@opentelemetry/instrumentation-graphql');
    expect(graphql.map((s) => s.name)).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate']));
    const execution = graphql.filter((s) => s.attributes['graphql.operation.type'] === 'mutation');
    expect(execution.length).toBeGreaterThanOrEqual(3);
    const requestTraces = new Set(requests.map((s) => s.traceId));
    for (const span of execution) expect(requestTraces.has(span.traceId)).toBe(true);
  });

  it('has a span per authorization decision, with its ability, outcome and layer, in the request trace', () => {
    const decisions = spans.filter((s) => s.name === 'authz.decide');
    const allowed = decisions.filter((s) => s.attributes['authz.ability'] === 'create_workspace' && s.attributes['authz.allowed'] === true);
    expect(allowed.length).toBeGreaterThanOrEqual(3);
    expect(allowed[0]?.attributes).toMatchObject({
      'authz.layer': 'MANAGEMENT',
      'authz.resource_type': 'Account',
      'authz.resource_id': defined(root, 'the account').accountId,
    });
    const refused = decisions.filter(
      (s) => s.attributes['authz.ability'] === 'create_workspace' && s.attributes['authz.allowed'] === false,
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]?.attributes).toMatchObject({
      'authz.layer': 'MANAGEMENT',
      'authz.denial': 'FORBIDDEN',
      'authz.principal_id': defined(denied, 'the RAM user').userId,
    });
    expect(refused[0]?.attributes['authz.reasons']).toEqual(expect.arrayContaining([expect.any(String)]));
    const requestTraces = new Set(spans.filter((s) => s.kind === SERVER).map((s) => s.traceId));
    for (const decision of decisions) expect(requestTraces.has(decision.traceId)).toBe(true);
  });

  it('has a span per SQL statement, with its text, in the request trace', () => {
    const statements =
      testDatabaseKind() === 'postgres'
        ? spans.filter((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.name.startsWith('pg.query:'))
        : spans.filter((s) => s.scope === 'model-studio-gateway/pglite' && s.name.startsWith('pglite.query:'));
    const inserts = statements.filter((s) => /^insert into "workspace"/.test(String(s.attributes['db.query.text'])));
    expect(inserts.length).toBeGreaterThanOrEqual(3);
    for (const insert of inserts) expect(insert.attributes['db.system.name']).toBe('postgresql');
    expect(inserts[0]?.name).toMatch(/^(pg|pglite)\.query:INSERT/);
    const requestTraces = new Set(spans.filter((s) => s.kind === SERVER).map((s) => s.traceId));
    for (const insert of inserts) expect(requestTraces.has(insert.traceId)).toBe(true);
  });

  it('never exports a password, a token, a literal or a variable value', () => {
    const exported = collector.bodies.join('\n');
    for (const secret of [PASSWORD, defined(root, 'the account').token, literalName, variableName]) expect(exported).not.toContain(secret);
  });
});

describe('tracing in process, into an in-memory exporter', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
    trace.disable();
    await provider.shutdown();
  });

  it('records nothing while no SDK is registered, and is off without an OTLP endpoint', async () => {
    expect(tracingConfig({})).toBeNull();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ serviceName: 'model-studio-gateway' });
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
    await modelStudioAccount(t.client);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('records a decision span per computed decision, parent of the statements it runs', async () => {
    provider.register();
    const account = await modelStudioAccount(t.client);
    exporter.reset();
    const user = await createUser(t.client, account.token);
    const role = await createRole(t.client, account.token);
    exporter.reset();
    // A trust question: the role does not trust the RAM user, the decision reads the role's trust.
    await t.client.request(`mutation($r: ID!) { assumeRole(roleId: $r) { token } }`, { r: role.id }, { token: user.token });
    const finished = exporter.getFinishedSpans();
    const decisions = finished.filter((s) => s.name === 'authz.decide');
    expect(decisions.length).toBeGreaterThanOrEqual(1);
    const assume = defined(
      decisions.find((s) => s.attributes['authz.resource_id'] === role.id),
      'the decision on the role',
    );
    expect(assume.attributes).toMatchObject({ 'authz.allowed': false, 'authz.principal_id': user.id });
    expect(assume.attributes['authz.layer']).toEqual(expect.any(String));
    if (testDatabaseKind() === 'pglite') {
      const statements = finished.filter((s) => s.name.startsWith('pglite.query:'));
      expect(statements.length).toBeGreaterThanOrEqual(1);
      const underDecision = statements.filter((s) => s.parentSpanContext?.spanId === assume.spanContext().spanId);
      expect(underDecision.map((s) => s.attributes['db.query.text'])).toEqual(
        expect.arrayContaining([expect.stringContaining('role_trust')]),
      );
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The child's database: a fresh PostgreSQL one, or an embedded data folder made from the run's template. */
async function serverDatabase(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  if (testDatabaseKind() === 'postgres') {
    const handle = await openTestDatabase();
    // The child connects on its own; this process only drops the database at the end.
    return { env: { DATABASE_URL: defined(handle.url, 'the test database URL') }, close: () => handle.close() };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-tracing-'));
  const pglite = await PGlite.create({ dataDir, loadDataDir: new Blob([readFileSync(inject('databaseTemplate'))]) });
  await pglite.close();
  return {
    env: { DATABASE_URL: '', DATA_DIR: dataDir },
    close: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
