import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildBareSchema } from '../schema.js';

/** Where the SDL is served (wherever introspection is on). */
export const SCHEMA_SDL_PATH = '/schema.graphql';

const HEADER = [
  "# The Model Studio gateway's GraphQL schema, as served: each guarded field's description ends with",
  '# who may use it. Printed by `npm run schema:print` (also run by `npm run codegen`) into',
  '# docs/schema.graphql, and served at /schema.graphql wherever introspection is on. Do not edit.',
].join('\n');

/**
 * The whole SDL as clients see it through introspection (types, descriptions with their
 * "Authorization: …" notes, the directive definitions), for client code generators. The client
 * API only: FEDERATION's subgraph fields (`_entities`, `_service`) are for routers, which read
 * `_service { sdl }`.
 */
export function printGatewaySchema(schema: GraphQLSchema = buildBareSchema().schema): string {
  return `${HEADER}\n\n${printSchema(schema)}\n`;
}

let printed: { text: string; etag: string } | undefined;

/**
 * `GET /schema.graphql`: the printed SDL (the same text as docs/schema.graphql), printed on the
 * first request. The caller serves it only where introspection is on: it reveals no more than
 * introspection does. Returns false for any other path.
 */
export function serveSchemaSdl(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (url.pathname !== SCHEMA_SDL_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Only GET and HEAD' }));
    return true;
  }
  if (printed === undefined) {
    const text = printGatewaySchema();
    printed = { text, etag: `"${createHash('sha256').update(text).digest('base64url')}"` };
  }
  const headers = { etag: printed.etag, 'cache-control': 'no-cache' };
  if (req.headers['if-none-match'] === printed.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(printed.text) });
  res.end(printed.text);
  return true;
}
