import { randomBytes } from 'node:crypto';
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { PASSWORD } from '../helpers/fixtures.js';
import { GraphQLClient } from '../helpers/graphql-client.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { openTestDatabase, testDatabaseKind } from '../helpers/test-database.js';

const SIGN_UP = `mutation($i: SignUpInput!) { signUp(input: $i) { token principal { id } } }`;

interface Reply {
  status: number;
  body: string;
  connection: string | undefined;
}

/**
 * A POST whose body is sent in two parts: the request is in flight at the server (its handler
 * waits for the rest of the body) until `finish()` is called.
 */
function halfSentRequest(url: string, body: string, agent: Agent) {
  const target = new URL(url);
  const bytes = Buffer.from(body);
  const split = Math.floor(bytes.length / 2);
  const req = request({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) },
  });
  const connected = new Promise<void>((resolve, reject) => {
    req.once('socket', (socket) => (socket.connecting ? socket.once('connect', () => resolve()) : resolve()));
    req.once('error', reject);
  });
  const reply = new Promise<Reply>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }));
      res.once('error', reject);
    });
  });
  reply.catch(() => {}); // awaited by the test; a failure must not also surface as unhandled
  req.write(bytes.subarray(0, split));
  req.flushHeaders();
  return { connected, reply, finish: () => req.end(bytes.subarray(split)) };
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exitOf = (child: ServerProcess['child']) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

describe.skipIf(testDatabaseKind() !== 'postgres')('graceful shutdown on SIGTERM (server process, PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let server: ServerProcess | undefined;
  const postgresUrl = () => defined(database.url, 'the URL of the test database (PostgreSQL runs only)');
  const agents: Agent[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) agent.destroy();
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await exitOf(server.child);
    }
    server = undefined;
  });
  afterAll(async () => {
    await database?.close();
  });

  // NODE_ENV=production is how the gateway is deployed (Apollo treats signals differently under NODE_ENV=test).
  it.each(['production', 'test'])(
    'NODE_ENV=%s: in-flight requests complete with 200, new connections are refused, the process exits 0',
    async (nodeEnv) => {
      server = await startServerProcess(postgresUrl(), { NODE_ENV: nodeEnv });
      const serverUrl = server.url;
      const port = Number(new URL(serverUrl).port);
      // Keep-alive connections, as a proxy or a browser keeps them: they must not hold the process open.
      const agent = new Agent({ keepAlive: true, maxSockets: 50 });
      agents.push(agent);

      const names = Array.from({ length: 20 }, (_, i) => `shutdown-${i}-${randomBytes(4).toString('hex')}`);
      const inFlight = names.map((name) =>
        halfSentRequest(
          serverUrl,
          JSON.stringify({ query: SIGN_UP, variables: { i: { accountName: name, email: `${name}@example.com`, password: PASSWORD } } }),
          agent,
        ),
      );
      await Promise.all(inFlight.map((r) => r.connected));
      await new Promise((r) => setTimeout(r, 300)); // the server has read every request's head
      const exited = exitOf(server.child);
      const signalled = Date.now();
      server.child.kill('SIGTERM');

      // The listening socket closes at once, while the 20 requests are still open.
      await until(() => refused(port), 5_000, 'new connections refused after SIGTERM');
      expect(server.child.exitCode).toBeNull();

      for (const r of inFlight) r.finish();
      const replies = await Promise.all(inFlight.map((r) => r.reply));
      for (const reply of replies) {
        expect(reply.status, reply.body).toBe(200);
        const body = JSON.parse(reply.body) as { data?: { signUp?: { token?: string } }; errors?: unknown };
        expect(body.errors).toBeUndefined();
        expect(body.data?.signUp?.token).toEqual(expect.any(String));
      }

      // Exits by itself, code 0, without waiting for the keep-alive connections to time out (5 s).
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(4_000);

      // Every acknowledged sign-up is in the database.
      const check = new pg.Client({ connectionString: database.url });
      await check.connect();
      try {
        const { rows } = await check.query<{ n: string }>('select count(*) as n from account where name = any($1)', [names]);
        expect(Number(rows[0]?.n)).toBe(names.length);
      } finally {
        await check.end();
      }
    },
    60_000,
  );

  it('a request whose client went away runs to its end before the pool closes: no statement fails after it', async () => {
    server = await startServerProcess(postgresUrl(), { NODE_ENV: 'production', LOG_LEVEL: 'warn' });
    const client = new GraphQLClient(server.url);
    const name = `gone-${randomBytes(4).toString('hex')}`;
    const { signUp } = await client.ok<{ signUp: { token: string } }>(SIGN_UP, {
      i: { accountName: name, email: `${name}@example.com`, password: PASSWORD },
    });
    const { activateModelStudio } = await client.ok<{ activateModelStudio: { id: string } }>(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      signUp.token,
    );

    // Hold the request at its first read of `workspace`; the reads after it come once the lock goes.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table workspace in access exclusive mode');
      const body = JSON.stringify({
        query: `query($w: ID!) { workspace(id: $w) { id members(first: 10) { edges { node { role } } } modelAuthorizations(first: 10) { edges { node { inference } } } } }`,
        variables: { w: activateModelStudio.id },
      });
      const req = request(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${signUp.token}` },
      });
      req.on('error', () => {}); // the test hangs up on purpose
      req.end(body);
      await new Promise((r) => setTimeout(r, 500)); // the server is waiting on the lock
      req.destroy();

      const exited = exitOf(server.child);
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      expect(server.child.exitCode).toBeNull(); // still finishing the request
      await locker.query('commit');
      expect(await exited).toEqual({ code: 0, signal: null });
    } finally {
      await locker.end();
    }
    expect(server.output.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  }, 60_000);
});
