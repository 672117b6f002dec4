import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import { expectError, modelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';
import { authorizeCall, decided, enforcedWorkspace, forwardAuth, recordUsage, recorded, sleep, type EnforcedWorkspace } from './support.js';

/**
 * A TCP proxy in front of the local Redis: closing it (and cutting its connections) is a Redis
 * outage as the gateway sees it; listening again on the same port is Redis coming back.
 */
class RedisProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(6379, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Polls `probe` every 100 ms until it answers true, for at most `ms`; whether it did. */
async function eventually(ms: number, probe: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** A counter store that is down refuses every counted call, never allows by default, and is used again once it is back. */
describe('a counter-store (Redis) outage', () => {
  const proxy = new RedisProxy();
  let t: TestGateway;
  let enforced: EnforcedWorkspace;

  beforeAll(async () => {
    await proxy.open();
    t = await startTestGateway({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
    const account = await modelStudioAccount(t.client);
    enforced = await enforcedWorkspace(t.client, account, 'qwen-max', {
      requestLimit: 1_000,
      requestLimitPeriodSeconds: 60,
      usageLimit: 1_000_000,
      usageLimitPeriodSeconds: 60,
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy.close();
  });

  it('answers SERVICE_UNAVAILABLE (GraphQL) and 429 Retry-After (forward-auth) while Redis is away, and recovers without a restart', async () => {
    const secret = enforced.key.secret;
    const before = await decided(t.client, secret, 'qwen-max');
    expect(before).toMatchObject({ allowed: true, rateLimit: { limit: 1_000, remaining: 999 } });
    const callId = defined(before.callId, 'the callId of an allowed call');

    await proxy.close();
    expect(await authorizeCall(t.client, secret, 'qwen-max')).toEqual({ error: 'SERVICE_UNAVAILABLE' });
    const refused = await forwardAuth(t.url, { secret, model: 'qwen-max' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-denial-reason')).toBe('SERVICE_UNAVAILABLE');
    expect(refused.headers.get('x-call-id')).toBeNull();
    // Still down a moment later: no call slips through while the client reconnects.
    await sleep(300);
    expect(await authorizeCall(t.client, secret, 'qwen-max')).toEqual({ error: 'SERVICE_UNAVAILABLE' });
    // The tokens of a call cannot be counted either: nothing is recorded, and the proxy may retry.
    expectError(await recordUsage(t.client, secret, callId, 10, 10), 'SERVICE_UNAVAILABLE');
    // Calls without a counted window do not need the store.
    const access = await t.client.request<{ modelAccess: { reason: string } }>(
      `{ modelAccess(model: "qwen-max") { reason } }`,
      {},
      { token: secret },
    );
    expect(access.data?.modelAccess.reason).toBe('ALLOWED');

    await proxy.open();
    const recovered = await eventually(8_000, async () => {
      const answer = await authorizeCall(t.client, secret, 'qwen-max');
      return !('error' in answer) && answer.allowed;
    });
    expect(recovered, 'authorizeModelCall allowed again within 8 s of Redis coming back').toBe(true);
    // The window kept its count through the outage (one call before it, at least one after).
    const after = await decided(t.client, secret, 'qwen-max');
    expect(after.allowed).toBe(true);
    expect(after.rateLimit?.remaining).toBeLessThanOrEqual(997);
    // The usage refused during the outage is recorded now, once.
    await recorded(t.client, secret, callId, 10, 10);
    expectError(await recordUsage(t.client, secret, callId, 10, 10), 'BAD_USER_INPUT', 'input.callId');
    const route = await forwardAuth(t.url, { secret, model: 'qwen-max' });
    expect(route.status).toBe(204);
    expect(route.headers.get('x-call-id')).toMatch(/^call_/);
  }, 20_000);
});
