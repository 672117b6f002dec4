import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveGraphiQL } from '../../src/graphiql/serve-graphiql.js';
import { defined } from '../helpers/assertions.js';

/** serveGraphiQL on a fake bundle (the real one is exercised in test/browser). */
describe('serveGraphiQL', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'graphiql-bundle-'));
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://gateway.invalid');
      if (serveGraphiQL(req, res, url, dir)) return;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not GraphiQL"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves other paths alone', async () => {
    for (const path of ['/', '/graphiqlx', '/graphql']) {
      expect(await (await fetch(base + path)).text()).toBe('{"error":"not GraphiQL"}');
    }
  });

  it('answers 404 with how to build when the bundle is missing', async () => {
    const res = await fetch(`${base}/graphiql`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('npm run build');
  });

  it('serves the page with a strict CSP, and only the manifest’s assets', async () => {
    mkdirSync(join(dir, 'assets'), { recursive: true });
    const script = 'console.log("graphiql");'.repeat(100);
    writeFileSync(join(dir, 'assets', 'page-ABC.js'), script);
    writeFileSync(join(dir, 'assets', 'page-ABC.js.gz'), gzipSync(script));
    writeFileSync(join(dir, 'assets', 'page-ABC.css'), 'body{}');
    writeFileSync(join(dir, 'assets', 'not-listed.js'), 'secret');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        script: 'page-ABC.js',
        styles: ['page-ABC.css'],
        files: { 'page-ABC.js': { size: script.length, gzip: true }, 'page-ABC.css': { size: 6, gzip: false } },
      }),
    );

    for (const path of ['/graphiql', '/graphiql/']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = defined(res.headers.get('content-security-policy'), 'the Content-Security-Policy header');
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*(unsafe|data:|\*)/);
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      const html = await res.text();
      expect(html).toContain(`<meta name="csp-nonce" content="${nonce}">`);
      expect(html).toContain('<script type="module" src="/graphiql/assets/page-ABC.js"></script>');
      expect(html).toContain('<link rel="stylesheet" href="/graphiql/assets/page-ABC.css">');
    }
    const [a, b] = await Promise.all([fetch(`${base}/graphiql`), fetch(`${base}/graphiql`)]);
    expect(a.headers.get('content-security-policy')).not.toBe(b.headers.get('content-security-policy'));

    const js = await fetch(`${base}/graphiql/assets/page-ABC.js`); // fetch accepts gzip
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe(script);
    const identity = await fetch(`${base}/graphiql/assets/page-ABC.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers.get('content-encoding')).toBeNull();
    expect(await identity.text()).toBe(script);
    const css = await fetch(`${base}/graphiql/assets/page-ABC.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe('body{}');

    const head = await fetch(`${base}/graphiql/assets/page-ABC.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('6');
    expect((await fetch(`${base}/graphiql`, { method: 'POST' })).status).toBe(405);

    for (const path of [
      '/graphiql/assets/not-listed.js',
      '/graphiql/assets/..%2Fsecret.txt',
      '/graphiql/assets/%E0%A4%A',
      '/graphiql/manifest.json',
      '/graphiql/assets/constructor',
    ]) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('secret');
    }
  });
});
