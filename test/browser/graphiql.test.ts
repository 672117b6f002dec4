/**
 * GraphiQL at `/graphiql`, in a real headless Chromium (Debian's, driven by playwright-core):
 * the page loads with its strict Content-Security-Policy and nothing from another origin, the
 * sign-in bar signs a root in, and a query typed into the editor runs with its token.
 * Screenshots: test-artifacts/graphiql.png (and graphiql-signed-out.png).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_BUNDLE_DIR } from '../../src/graphiql/serve-graphiql.js';
import { projectRoot } from '../../src/project-root.js';
import { PASSWORD, signUp } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = projectRoot();
const SCREENSHOT = join(ROOT, 'test-artifacts', 'graphiql.png');

/** Debian's Chromium, installed when missing and possible (root with apt-get); else the reason. */
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

/** Newest modification time under `path` (a file, or a folder's files, recursively). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the bundle when it is missing or older than its sources. */
function ensureBundle() {
  const manifest = join(GRAPHIQL_BUNDLE_DIR, 'manifest.json');
  const sources = Math.max(
    newest(join(ROOT, 'web', 'graphiql')),
    newest(join(ROOT, 'scripts', 'build-graphiql.mjs')),
    newest(join(ROOT, 'package-lock.json')),
  );
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-graphiql.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

const unavailable = ensureChromium();
// On a developer's machine without Chromium the test is skipped; in CI it must run.
if (unavailable && process.env.CI) throw new Error(`The GraphiQL browser test cannot run in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping the GraphiQL browser test: ${unavailable}`);

const t = gatewayForThisFile({ graphiql: true });

describe.skipIf(unavailable !== null)('GraphiQL in a browser', () => {
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const failedResponses: string[] = [];
  const requested: string[] = [];
  const graphqlRequests: { authorization: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    ensureBundle();
    userDataDir = mkdtempSync(join(tmpdir(), 'graphiql-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    });
    // Every CSP violation, reported by the page itself (console messages may be cut short).
    await context.addInitScript({
      content: `window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));`,
    });
    page = context.pages()[0] ?? (await context.newPage());
    const origin = new URL(t.url).origin;
    context.on('request', (request) => {
      const url = request.url();
      requested.push(url);
      if (!url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
      if (url === t.url && request.method() === 'POST')
        graphqlRequests.push({ authorization: request.headers().authorization, body: request.postData() ?? '' });
    });
    context.on('response', (response) => {
      if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('signs a root in from the sign-in bar and runs a query with its token', { timeout: 120_000 }, async () => {
    const root = await signUp(t.client);
    await t.client.ok(
      `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
      {},
      root.token,
    );

    const response = await page.goto(t.url.replace(/\/graphql$/, '/graphiql'));
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    // GraphiQL is up once Monaco has drawn the query editor (and the schema has loaded).
    await page.locator('.graphiql-query-editor .monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
    await page.locator('[data-state="signed-out"]').waitFor();

    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-signed-out.png') });

    await page.getByLabel('Login name').fill(root.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent(), { timeout: 15_000 }).toBe(root.email);

    // The default tab's ready query: what the signed-in user may do with the workspaces they see.
    const responseText = () => page.locator('.graphiql-response').evaluate((el) => (el.textContent ?? '').replace(/\u00a0/g, ' '));
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 15_000 }).toContain('"renameWorkspace": true');
    expect(await responseText()).toContain('"viewerPages": []');

    // Replace the query: select all in the editor, then type over it.
    const query = '{ workspaces { edges { node { name kind region } } } }';
    await page.locator('.graphiql-query-editor .monaco-editor .view-lines').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(query);
    const editorText = () =>
      page
        .locator('.graphiql-query-editor .view-lines')
        .first()
        .evaluate((el) => (el.textContent ?? '').replace(/\u00a0/g, ' '));
    await expect.poll(editorText).toBe(query);

    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 15_000 }).toContain('"region": "CN_BEIJING"');
    expect(await responseText()).toContain('Default Workspace');

    const run = graphqlRequests.find((r) => r.body.includes('workspaces'));
    expect(run?.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    await page.screenshot({ path: SCREENSHOT });

    // Signing out, then pasting a token: the bar checks it and names who it signs in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Session token or API key').fill(root.token);
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent(), { timeout: 15_000 }).toContain(root.accountName);

    // Monaco's language services ran in the bundled workers (not in the page, its fallback).
    expect(requested.filter((url) => /\/graphiql\/assets\/(editor|graphql|json)\.worker-/.test(url)).length).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate('window.__cspViolations')).toEqual([]);
    expect(foreignRequests).toEqual([]);
    expect(failedResponses).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
