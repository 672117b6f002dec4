import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { RequestContext } from '../context.js';
import type { StatementCount } from '../db/statement-counter.js';

const MAX_BODY_BYTES = 1024 * 1024;

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendError(res: ServerResponse, status: number, message: string, code: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** Serves Apollo on node:http (Apollo 5's integration API), without a web framework. */
export function createGraphQLHandler(
  apollo: ApolloServer<RequestContext>,
  contextFor: (req: IncomingMessage, count: StatementCount | null) => Promise<RequestContext>,
  options: { exposeStatementCount: boolean },
) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req);
      } catch (error) {
        if (error instanceof BodyError) return sendError(res, error.status, error.message, 'BAD_REQUEST');
        throw error;
      }
      const contentType = headers.get('content-type') ?? '';
      if (contentType.includes('json')) {
        try {
          body = text.length ? JSON.parse(text) : undefined;
        } catch {
          return sendError(res, 400, 'The request body is not valid JSON', 'BAD_REQUEST');
        }
      } else {
        body = text;
      }
    }
    const count = options.exposeStatementCount ? { statements: 0 } : null;
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: () => contextFor(req, count),
    });
    for (const [name, value] of result.headers) res.setHeader(name, value);
    if (count) res.setHeader('x-sql-statements', String(count.statements));
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
