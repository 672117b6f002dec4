/**
 * CORS (`CORS_ORIGINS`, src/http/cors.ts) as a browser would see it, with plain fetch: the
 * preflight of an allowed origin, a refused one, the headers of the actual request, and nothing at
 * all when no origin is configured (the default). The browser itself: test/browser/cors.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { defined } from '../helpers/assertions.js';
import { startTestGateway, type TestGateway } from '../helpers/test-gateway.js';

const CONSOLE = 'https://console.example.com';
const DEV = 'http://127.0.0.1:5173';
const ELSEWHERE = 'https://evil.example.net';
const QUERY = JSON.stringify({ query: '{ __typename }' });

function gatewayWith(corsOrigins: string[]) {
  const holder: { t?: TestGateway } = {};
  beforeAll(async () => (holder.t = await startTestGateway({ corsOrigins })));
  afterAll(() => holder.t?.close());
  return () => defined(holder.t, 'the gateway');
}

/** A browser's preflight for a POST with a token and JSON. */
function preflight(url: string, origin: string) {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

function post(url: string, headers: Record<string, string>) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: QUERY });
}

/** The response's CORS headers (`access-control-*`). */
function corsHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));
}

describe('CORS_ORIGINS', () => {
  const origins = (value: string) => loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: value }).corsOrigins;

  it('is empty by default', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).corsOrigins).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'test', CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
  });

  it('takes comma-separated origins, normalized as browsers send them', () => {
    expect(origins(`${CONSOLE}, ${DEV} ,`)).toEqual([CONSOLE, DEV]);
    expect(origins('HTTPS://Console.Example.com:443')).toEqual([CONSOLE]);
    expect(origins('http://[::1]:8080')).toEqual(['http://[::1]:8080']);
  });

  it.each([
    ['*', /CORS_ORIGINS: "\*" is refused: list the front ends' origins/],
    [`${CONSOLE}/`, /is not an origin \(scheme:\/\/host\[:port\], no path\)/],
    [`${CONSOLE}/app`, /is not an origin/],
    [`${CONSOLE}?a=1`, /is not an origin/],
    ['console.example.com', /is not an origin/],
    ['null', /is not an origin/],
    ['ftp://console.example.com', /is not an origin/],
    ['https://user@console.example.com', /is not an origin/],
    [`${CONSOLE}, *`, /"\*" is refused/],
  ])('refuses %s', (value, message) => {
    expect(() => origins(value)).toThrow(ConfigError);
    expect(() => origins(value)).toThrow(message);
  });
});

describe('with CORS_ORIGINS set', () => {
  const t = gatewayWith([CONSOLE, DEV]);

  it('answers the preflight of an allowed origin with 204 and the CORS headers', async () => {
    for (const origin of [CONSOLE, DEV]) {
      const response = await preflight(t().url, origin);
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      expect(corsHeaders(response)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers':
          'authorization, content-type, apollographql-client-name, apollographql-client-version, apollo-require-preflight, x-apollo-operation-name',
        'access-control-max-age': '600',
      });
      expect(response.headers.get('vary')).toBe('Origin');
    }
  });

  it('refuses the preflight of any other origin with 403 and no CORS header', async () => {
    for (const origin of [ELSEWHERE, 'null', `${CONSOLE}:8443`, 'http://console.example.com']) {
      const response = await preflight(t().url, origin);
      expect(response.status).toBe(403);
      expect(corsHeaders(response)).toEqual({});
      expect(response.headers.get('vary')).toBe('Origin');
    }
  });

  it('answers an OPTIONS request that is not a preflight with what /graphql accepts', async () => {
    const response = await fetch(t().url, { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, POST, OPTIONS');
    expect(corsHeaders(response)).toEqual({});
  });

  it("lets an allowed origin read the actual request's answer, and the headers it needs", async () => {
    const response = await post(t().url, { origin: CONSOLE });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    expect(corsHeaders(response)).toEqual({
      'access-control-allow-origin': CONSOLE,
      'access-control-expose-headers': 'retry-after',
    });
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it("gives another origin's request no CORS header (its browser keeps the answer from the page)", async () => {
    const response = await post(t().url, { origin: ELSEWHERE });
    expect(response.status).toBe(200);
    expect(corsHeaders(response)).toEqual({});
    expect(response.headers.get('vary')).toBe('Origin');
    // Without Origin (curl, a server): as before, no CORS header.
    const plain = await post(t().url, {});
    expect(plain.status).toBe(200);
    expect(corsHeaders(plain)).toEqual({});
  });

  it("a GET passes Apollo's csrfPrevention with one of the allowed apollo headers, not without", async () => {
    const url = `${t().url}?query=${encodeURIComponent('{ __typename }')}`;
    const withHeader = await fetch(url, { headers: { origin: CONSOLE, 'apollo-require-preflight': 'true' } });
    expect(withHeader.status).toBe(200);
    expect(withHeader.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    const without = await fetch(url, { headers: { origin: CONSOLE } });
    expect(without.status).toBe(400);
    expect(await without.text()).toContain('Cross-Site Request Forgery');
  });

  it('adds nothing to the routes that are not for browsers', async () => {
    const base = new URL(t().url).origin;
    for (const path of ['/healthz', '/authz/model-call', '/nowhere']) {
      const actual = await fetch(`${base}${path}`, { headers: { origin: CONSOLE } });
      expect(corsHeaders(actual), path).toEqual({});
      const options = await preflight(`${base}${path}`, CONSOLE);
      expect(corsHeaders(options), path).toEqual({});
    }
  });
});

describe('without CORS_ORIGINS (the default)', () => {
  const t = gatewayWith(loadConfig({ NODE_ENV: 'test' }).corsOrigins);

  it('refuses every preflight with 403 and no CORS header (Apollo would answer 4xx too)', async () => {
    for (const origin of [CONSOLE, ELSEWHERE]) {
      const response = await preflight(t().url, origin);
      expect(response.status).toBe(403);
      expect(corsHeaders(response)).toEqual({});
      expect(response.headers.get('vary')).toBeNull();
    }
  });

  it('sends no CORS header with any answer', async () => {
    const response = await post(t().url, { origin: CONSOLE });
    expect(response.status).toBe(200);
    expect(corsHeaders(response)).toEqual({});
    expect(response.headers.get('vary')).toBeNull();
  });
});
