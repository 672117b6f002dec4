import { Agent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();
// One kept-alive connection at most: the second request goes where the first one went, or after it closed.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

function post(body: string, deadlineMs: number): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      t.url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode === undefined) reject(new Error('the response carried no status code'));
          else resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(deadlineMs, () => req.destroy(new Error(`no answer within ${deadlineMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('a refused oversized body leaves the kept-alive connection usable', () => {
  it.each([
    { name: 'just over the limit', bytes: 1024 * 1024 + 1 },
    { name: 'several times the limit', bytes: 3 * 1024 * 1024 },
  ])('$name: 413, then the next request on the same agent is answered promptly', async ({ bytes }) => {
    const oversized = JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(bytes) });
    const refused = await post(oversized, 5_000);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('BAD_REQUEST');

    const next = await post(JSON.stringify({ query: `{ __typename }` }), 2_000);
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ data: { __typename: 'Query' } });
    expect(next.ms).toBeLessThan(2_000);
  });
});
