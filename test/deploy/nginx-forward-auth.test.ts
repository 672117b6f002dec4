import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeModel,
  createKey,
  modelStudioAccount,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

/**
 * Issue #12: the shipped deploy/nginx/model-gateway.conf, run by Debian's nginx (which .ci/run
 * installs), in front of a small local OpenAI-style upstream, with the gateway's
 * GET /authz/model-call as nginx's auth_request. Every call below goes through nginx.
 */

const SHIPPED_CONFIG = new URL('../../deploy/nginx/model-gateway.conf', import.meta.url);
const UPSTREAM_AUTHORIZATION = 'Bearer upstream-own-credential';

/** nginx on PATH (or in /usr/sbin, which a non-root PATH may lack), or null. */
function findNginx(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin'].filter(Boolean);
  return dirs.map((dir) => join(dir, 'nginx')).find((candidate) => existsSync(candidate)) ?? null;
}

const nginxBinary = findNginx();
if (nginxBinary === null) {
  console.warn("test/deploy/nginx-forward-auth.test.ts: skipped, nginx is not installed (.ci/run installs Debian's nginx)");
}

interface UpstreamCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An OpenAI-compatible stand-in: answers a completion (or embedding) and records what it received. */
async function startUpstream(): Promise<{ server: Server; port: number; calls: UpstreamCall[] }> {
  const calls: UpstreamCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      calls.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      let model = 'unknown';
      try {
        model = String((JSON.parse(body) as { model?: unknown }).model);
      } catch {
        // not JSON: answered all the same
      }
      const received = {
        authorization: req.headers.authorization ?? null,
        callId: req.headers['x-call-id'] ?? null,
        model: req.headers['x-model'] ?? null,
        forwardedFor: req.headers['x-forwarded-for'] ?? null,
      };
      const answer = req.url?.endsWith('/embeddings')
        ? { object: 'list', model, data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], received }
        : {
            id: 'chatcmpl-test',
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the upstream.' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
            received,
          };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, calls };
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

interface RunningNginx {
  port: number;
  dir: string;
  process: ChildProcess;
  errorLog: () => Promise<string>;
}

/** The shipped configuration, placeholders substituted, included from a minimal nginx.conf run in the foreground. */
async function startNginx(binary: string, gatewayPort: number, upstreamPort: number): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'nginx-mg-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, sub));
  const port = await freePort();
  const shipped = await readFile(SHIPPED_CONFIG, 'utf8');
  const substituted = shipped
    .replaceAll('__LISTEN__', `127.0.0.1:${port}`)
    .replaceAll('__GATEWAY__', `127.0.0.1:${gatewayPort}`)
    .replaceAll('__UPSTREAM_AUTHORIZATION__', UPSTREAM_AUTHORIZATION)
    .replaceAll('__UPSTREAM__', `http://127.0.0.1:${upstreamPort}`)
    .replaceAll('__HOP_SOCKET__', join(dir, 'hop.sock'));
  expect(substituted, 'a placeholder left unsubstituted').not.toMatch(/__[A-Z_]+__/);
  await writeFile(join(dir, 'model-gateway.conf'), substituted);
  const errorLogPath = join(dir, 'error.log');
  await writeFile(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      // As root the workers would switch to nobody, who cannot reach the hop socket in this 0700 directory.
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${errorLogPath} warn;`,
      'events { worker_connections 128; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      `  include ${join(dir, 'model-gateway.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', errorLogPath];
  const check = spawnSync(binary, ['-t', ...args], { encoding: 'utf8' });
  expect(check.status, `nginx -t:\n${check.stderr}`).toBe(0);

  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const errorLog = () => readFile(errorLogPath, 'utf8').catch(() => '');
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}\n${await errorLog()}`);
    if (await accepts(port)) return { port, dir, process: child, errorLog };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not listen on ${port}: ${stderr}\n${await errorLog()}`);
}

async function stopNginx(nginx: RunningNginx) {
  if (nginx.process.exitCode === null && nginx.process.signalCode === null) {
    const exited = once(nginx.process, 'exit');
    nginx.process.kill('SIGTERM');
    const timer = setTimeout(() => nginx.process.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await rm(nginx.dir, { recursive: true, force: true });
}

const SET_REQUEST_LIMIT = `mutation($w: ID!) {
  setModelRateLimit(input: { workspaceId: $w, model: "qwen-plus", requestLimit: 2, requestLimitPeriodSeconds: 60 }) { requestLimit requestLimitPeriodSeconds }
}`;

const TITLE = 'nginx with deploy/nginx/model-gateway.conf in front of an OpenAI-compatible upstream';

describe.skipIf(nginxBinary === null)(
  nginxBinary === null ? `${TITLE} (skipped: nginx is not installed; .ci/run installs it)` : TITLE,
  () => {
    const t = gatewayForThisFile({ trustedProxies: ['127.0.0.1/32'] });
    let upstream: Awaited<ReturnType<typeof startUpstream>>;
    let nginx: RunningNginx;
    let account: ModelStudioAccount;
    let key: CreatedKey;

    beforeAll(async () => {
      upstream = await startUpstream();
      const gatewayPort = Number(new URL(t.url).port);
      nginx = await startNginx(nginxBinary ?? 'nginx', gatewayPort, upstream.port);

      account = await modelStudioAccount(t.client);
      await authorizeModel(t.client, account.token, account.W, 'qwen-plus');
      // Authorized without a limit: for the calls that must not use qwen-plus's window.
      await authorizeModel(t.client, account.token, account.W, 'qwen-turbo');
      const limit = await t.client.ok<{ setModelRateLimit: { requestLimit: number; requestLimitPeriodSeconds: number } }>(
        SET_REQUEST_LIMIT,
        { w: account.W },
        account.token,
      );
      expect(limit.setModelRateLimit).toEqual({ requestLimit: 2, requestLimitPeriodSeconds: 60 });
      key = await createKey(t.client, account.token, account.W);
    });

    afterAll(async () => {
      if (nginx) await stopNginx(nginx);
      if (upstream) await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
    });

    /** A POST through nginx, as an OpenAI client would send it. */
    const call = async (
      path: string,
      body: string | Record<string, unknown>,
      options: { secret?: string; headers?: Record<string, string> } = {},
    ) => {
      const response = await fetch(`http://127.0.0.1:${nginx.port}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.secret === undefined ? {} : { authorization: `Bearer ${options.secret}` }),
          ...options.headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
    };
    const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'Say hello.' }] });

    /** The upstream calls that `work` caused. */
    const upstreamCallsDuring = async <T>(work: () => Promise<T>): Promise<{ result: T; calls: UpstreamCall[] }> => {
      const before = upstream.calls.length;
      const result = await work();
      return { result, calls: upstream.calls.slice(before) };
    };

    it('an authorized model goes through: 200 from the upstream, which gets an X-Call-Id and its own credentials, not the sk- key', async () => {
      const body = chat('qwen-plus');
      const { result, calls } = await upstreamCallsDuring(() => call('/v1/chat/completions', body, { secret: key.secret }));
      expect(result.status, `${result.text}\n${await nginx.errorLog()}`).toBe(200);
      expect(result.json()).toMatchObject({ object: 'chat.completion', model: 'qwen-plus' });
      expect(calls).toHaveLength(1);
      const [seen] = calls;
      expect(seen?.method).toBe('POST');
      expect(seen?.path).toBe('/v1/chat/completions');
      expect(JSON.parse(seen?.body ?? '')).toEqual(body);
      expect(seen?.headers.authorization).toBe(UPSTREAM_AUTHORIZATION);
      expect(JSON.stringify(seen?.headers)).not.toContain(key.secret);
      expect(seen?.headers['x-call-id']).toMatch(/\S/);
      expect(seen?.headers['x-model']).toBe('qwen-plus');
      expect(seen?.headers['x-forwarded-for']).toBe('127.0.0.1');
      // The client learns the call's ID and its window, from the gateway's answer.
      expect(result.headers.get('x-call-id')).toBe(seen?.headers['x-call-id']);
      expect(result.headers.get('x-ratelimit-limit')).toBe('2');
      expect(result.headers.get('x-ratelimit-remaining')).toBe('1');
    });

    it('a model the workspace has not authorized (qwen-max) is refused with 403; the upstream is not called', async () => {
      const { result, calls } = await upstreamCallsDuring(() => call('/v1/chat/completions', chat('qwen-max'), { secret: key.secret }));
      expect(result.status, result.text).toBe(403);
      expect(result.headers.get('x-denial-reason')).toBe('MODEL_NOT_AUTHORIZED');
      expect(result.json()).toMatchObject({ error: { type: 'permission_denied', code: 'MODEL_NOT_AUTHORIZED' } });
      expect(calls).toHaveLength(0);
    });

    it('the body decides the model: an X-Model header naming an authorized one does not let qwen-max through', async () => {
      const { result, calls } = await upstreamCallsDuring(() =>
        call('/v1/chat/completions', chat('qwen-max'), { secret: key.secret, headers: { 'x-model': 'qwen-plus' } }),
      );
      expect(result.status, result.text).toBe(403);
      expect(result.headers.get('x-denial-reason')).toBe('MODEL_NOT_AUTHORIZED');
      expect(calls).toHaveLength(0);
    });

    it.each([
      ['a garbled key', () => 'sk-this-is-not-a-key'],
      ['the real key with one character changed', () => `${key.secret.slice(0, -1)}${key.secret.endsWith('a') ? 'b' : 'a'}`],
    ])('%s is refused with 401; the upstream is not called', async (_name, secret) => {
      const { result, calls } = await upstreamCallsDuring(() => call('/v1/chat/completions', chat('qwen-plus'), { secret: secret() }));
      expect(result.status, result.text).toBe(401);
      expect(result.headers.get('www-authenticate')).toBe('Bearer');
      expect(result.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
      expect(calls).toHaveLength(0);
    });

    it('no key at all is refused with 401', async () => {
      const { result, calls } = await upstreamCallsDuring(() => call('/v1/embeddings', { model: 'qwen-plus', input: 'hi' }));
      expect(result.status, result.text).toBe(401);
      expect(calls).toHaveLength(0);
    });

    it.each([
      ['no model', { messages: [] }],
      ['a model that is not a string', { model: ['qwen-plus'], messages: [] }],
      ['a second "model" key, nested', { model: 'qwen-plus', messages: [{ role: 'user', content: 'hi', model: 'qwen-max' }] }],
      ['a duplicate "model" key spelled with \\u escapes', '{"model":"qwen-plus","mod\\u0065l":"qwen-max","messages":[]}'],
      ['a duplicate "model" key', '{"model":"qwen-plus","model":"qwen-max","messages":[]}'],
      ['a model written with escapes', '{"model":"qwen\\u002dplus","messages":[]}'],
      ['a body that is not JSON', 'model=qwen-plus'],
    ])('a body with %s is refused with 400 before the gateway counts anything', async (_name, body) => {
      const { result, calls } = await upstreamCallsDuring(() =>
        call('/v1/chat/completions', body, { secret: key.secret, headers: { 'x-model': 'qwen-plus' } }),
      );
      expect(result.status, result.text).toBe(400);
      expect(result.json()).toMatchObject({ error: { code: 'model_not_readable' } });
      expect(calls).toHaveLength(0);
    });

    it('other paths and methods are not proxied', async () => {
      const notFound = await call('/v1/files', chat('qwen-plus'), { secret: key.secret });
      expect(notFound.status).toBe(404);
      const get = await fetch(`http://127.0.0.1:${nginx.port}/v1/chat/completions`, { headers: { authorization: `Bearer ${key.secret}` } });
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    });

    it('a 4 MB prompt goes through, the model named first or last; a body over 8 MB is refused with 413', async () => {
      const messages = JSON.stringify([{ role: 'user', content: 'lorem "ipsum" '.repeat(300_000) }]);
      for (const large of [`{"messages":${messages},"model":"qwen-turbo"}`, `{"model":"qwen-turbo","messages":${messages}}`]) {
        const { result, calls } = await upstreamCallsDuring(() => call('/v1/chat/completions', large, { secret: key.secret }));
        expect(result.status, `${result.text}\n${await nginx.errorLog()}`).toBe(200);
        expect(calls).toHaveLength(1);
        expect(calls[0]?.body).toBe(large);
        expect(calls[0]?.headers['x-model']).toBe('qwen-turbo');
      }

      const tooLarge = await upstreamCallsDuring(() =>
        call(
          '/v1/chat/completions',
          { model: 'qwen-turbo', messages: [{ role: 'user', content: 'x'.repeat(8 * 1024 * 1024) }] },
          { secret: key.secret },
        ),
      );
      expect(tooLarge.result.status).toBe(413);
      expect(tooLarge.result.json()).toMatchObject({ error: { code: 'request_too_large' } });
      expect(tooLarge.calls).toHaveLength(0);
    });

    it('when the gateway does not answer, calls are refused with 503, never let through', async () => {
      const orphan = await startNginx(nginxBinary ?? 'nginx', await freePort(), upstream.port);
      try {
        const before = upstream.calls.length;
        const response = await fetch(`http://127.0.0.1:${orphan.port}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
          body: JSON.stringify(chat('qwen-turbo')),
        });
        const text = await response.text();
        expect(response.status, text).toBe(503);
        expect(JSON.parse(text)).toMatchObject({ error: { code: 'authorization_unavailable' } });
        expect(upstream.calls.length).toBe(before);
      } finally {
        await stopNginx(orphan);
      }
    });

    it('past the limit of 2 calls per 60 s the next call is refused with 429 and Retry-After; the upstream is not called', async () => {
      // The first test used one call of the window; the refusals above used none.
      const second = await upstreamCallsDuring(() =>
        call('/v1/embeddings', { model: 'qwen-plus', input: 'hello' }, { secret: key.secret }),
      );
      expect(second.result.status, second.result.text).toBe(200);
      expect(second.result.json()).toMatchObject({ object: 'list', model: 'qwen-plus' });
      expect(second.calls).toHaveLength(1);
      expect(second.result.headers.get('x-ratelimit-remaining')).toBe('0');

      const third = await upstreamCallsDuring(() => call('/v1/chat/completions', chat('qwen-plus'), { secret: key.secret }));
      expect(third.result.status, `${third.result.text}\n${await nginx.errorLog()}`).toBe(429);
      const retryAfter = Number(third.result.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(third.result.headers.get('x-denial-reason')).toBe('RATE_LIMITED');
      expect(third.result.headers.get('x-ratelimit-limit')).toBe('2');
      expect(third.result.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(third.result.json()).toMatchObject({ error: { type: 'rate_limit_exceeded', code: 'RATE_LIMITED' } });
      expect(third.calls).toHaveLength(0);

      // Still refused on the other paths: the window is the (workspace, model)'s.
      const fourth = await call('/v1/completions', { model: 'qwen-plus', prompt: 'hi' }, { secret: key.secret });
      expect(fourth.status).toBe(429);
    });

    it('nginx logged no failure of its own (no crit, alert or emerg line, no regular expression error)', async () => {
      const lines = (await nginx.errorLog()).split('\n').filter(Boolean);
      const serious = lines.filter((line) => /\[(?:crit|alert|emerg)\]|pcre|regex/i.test(line));
      expect(serious).toEqual([]);
      // What it does log: the gateway's refusals that auth_request does not know (429), the body over 8 MB.
      for (const line of lines) expect(line).toMatch(/auth request unexpected status: 429|client intended to send too large body/);
    });
  },
);
