/**
 * CORS in a real headless Chromium (Debian's, driven by playwright-core, as in graphiql.test.ts):
 * a page served by another origin (another port) signs in with `login` and lists the workspaces
 * through the gateway's `/graphql`, with fetch and a bearer token; the same page on an origin that
 * is not in `CORS_ORIGINS` gets nothing (fetch rejects: the preflight is refused, the POST never
 * leaves the browser). Screenshot: test-artifacts/cors.png.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/project-root.js';
import { defined } from '../helpers/assertions.js';
import { PASSWORD, signUp } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(projectRoot(), 'test-artifacts', 'cors.png');

/** Debian's Chromium, installed when missing and possible (root with apt-get); else the reason (as graphiql.test.ts). */
function ensureChromium(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return `${CHROMIUM} is missing and apt-get cannot run here (not root)`;
  console.warn(`${CHROMIUM} is missing: installing Debian's chromium package…`);
  const install = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (install.status === 0 && existsSync(CHROMIUM)) return null;
  return `${CHROMIUM} is missing and installing it failed: ${(install.stderr || install.error?.message || '').trim().slice(-500)}`;
}

/**
 * The front end: on load, it reads the API's URL and the credentials from its fragment, logs in,
 * lists the workspaces with the token, and writes what happened into `#status` and `#result`.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Console</title></head>
<body>
<p id="status">loading</p>
<pre id="result"></pre>
<script>
  const params = new URLSearchParams(location.hash.slice(1));
  const api = params.get('api');
  async function graphql(query, variables, token) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    const response = await fetch(api, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = await response.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }
  (async () => {
    try {
      const { login } = await graphql(
        'mutation($input: LoginInput!) { login(input: $input) { token } }',
        { input: { loginName: params.get('login'), password: params.get('password') } },
      );
      document.getElementById('status').textContent = 'signed in';
      const { workspaces } = await graphql('{ workspaces { edges { node { name } } } }', {}, login.token);
      document.getElementById('result').textContent = JSON.stringify(workspaces.edges.map((edge) => edge.node.name));
      document.getElementById('status').textContent = 'done';
    } catch (error) {
      document.getElementById('status').textContent = 'failed: ' + error.name + ': ' + error.message;
    }
  })();
</script>
</body></html>`;

/** A tiny server for the front end, on a port of its own (another origin than the gateway's). */
async function startPageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const unavailable = ensureChromium();
// On a developer's machine without Chromium the test is skipped; in CI it must run.
if (unavailable && process.env.CI) throw new Error(`The CORS browser test cannot run in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the CORS browser test: ${unavailable}`);

// The allowed page's origin is known only once its server listens: the gateway reads this array
// (its `corsOrigins`) on every request, and the page server starts in the first hook below.
const corsOrigins: string[] = [];
const pages: { allowed?: Awaited<ReturnType<typeof startPageServer>>; refused?: Awaited<ReturnType<typeof startPageServer>> } = {};
beforeAll(async () => {
  pages.allowed = await startPageServer();
  pages.refused = await startPageServer();
  corsOrigins.push(pages.allowed.origin);
});
afterAll(async () => {
  for (const page of [pages.allowed, pages.refused]) {
    if (page) await new Promise((resolve) => page.server.close(resolve));
  }
});
const t = gatewayForThisFile({ corsOrigins });

describe.skipIf(unavailable !== null)('CORS in a browser', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let loginName: string;
  /** What reached the gateway: method and Origin of each request. */
  const reached: string[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const root = await signUp(t.client);
    loginName = root.email;
    await t.client.ok(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );
    await t.client.ok(`mutation { createWorkspace(input: { name: "research", region: CN_BEIJING }) { id } }`, {}, root.token);
    t.gateway.server.on('request', (req: IncomingMessage) => reached.push(`${req.method} ${req.headers.origin ?? '-'}`));

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  /** Opens the front end served at `origin` and waits for it to finish; its final status. */
  async function run(origin: string): Promise<string> {
    const fragment = new URLSearchParams({ api: t.url, login: loginName, password: PASSWORD });
    const response = await page.goto(`${origin}/#${fragment}`);
    expect(response?.status()).toBe(200);
    const status = page.locator('#status');
    await expect.poll(async () => (await status.textContent()) ?? '', { timeout: 15_000 }).toMatch(/^(done|failed)/);
    return (await status.textContent()) ?? '';
  }

  it('a page on an allowed origin signs in and lists the workspaces', { timeout: 60_000 }, async () => {
    const origin = defined(pages.allowed, 'the allowed page server').origin;
    expect(origin).not.toBe(new URL(t.url).origin);
    reached.length = 0;
    consoleErrors.length = 0;

    expect(await run(origin)).toBe('done');
    expect(JSON.parse((await page.locator('#result').textContent()) ?? 'null')).toEqual(
      expect.arrayContaining(['Default Workspace', 'research']),
    );
    // Each POST (JSON, and then a token) was preflighted, with the page's origin.
    expect(reached).toContain(`OPTIONS ${origin}`);
    expect(reached.filter((line) => line === `POST ${origin}`)).toHaveLength(2);
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);

    mkdirSync(join(projectRoot(), 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it('the same page on an origin not in CORS_ORIGINS gets nothing: fetch rejects', { timeout: 60_000 }, async () => {
    const origin = defined(pages.refused, 'the refused page server').origin;
    reached.length = 0;
    consoleErrors.length = 0;

    expect(await run(origin)).toBe('failed: TypeError: Failed to fetch');
    expect(await page.locator('#result').textContent()).toBe('');
    // The preflight was refused, so the login itself never left the browser.
    expect(reached).toEqual([`OPTIONS ${origin}`]);
    expect(consoleErrors.join('\n')).toContain('blocked by CORS policy');
    expect(pageErrors).toEqual([]);
  });
});
