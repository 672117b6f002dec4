import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { CONSISTENCY_TOKEN_HEADER } from '../consistency/consistency-plugin.js';
import { parseToken } from '../consistency/lsn.js';
import type { ReadRouting, ReadsOf, SpeculativeReads } from '../consistency/read-routing.js';
import type { RequestContext } from '../context.js';
import type { StatementCount } from '../db/statement-counter.js';
import { DATABASE_UNAVAILABLE_MESSAGE, RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './error-masking.js';
import { NO_TRUSTED_DOCUMENTS, resolveTrustedDocument, type TrustedDocuments } from './trusted-documents.js';

const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of a too-large body is still read (and dropped) so that its client, still writing,
 * gets the 413 instead of a reset connection. Beyond it, the connection is given up.
 */
const MAX_DRAINED_BYTES = 8 * MAX_BODY_BYTES;

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const tooLarge = () => new BodyError(413, 'Request body too large');

/**
 * The body, up to MAX_BODY_BYTES. A larger one is refused (413) once it has been read to its end,
 * up to MAX_DRAINED_BYTES: the connection must not be left with half a body in it (the next
 * request on it would be read from the middle of this one). The 413 closes the connection.
 */
function readBody(req: IncomingMessage): Promise<string> {
  if (Number(req.headers['content-length']) > MAX_DRAINED_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAINED_BYTES) {
        req.pause();
        req.removeAllListeners('data');
        reject(tooLarge());
      }
    });
    req.on('end', () => {
      ended = true;
      if (size > MAX_BODY_BYTES) reject(tooLarge());
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
    // A client gone mid-body: settled here, or the request would wait forever. Every request
    // closes; only one that never ended needs the error (whose stack costs a little each time).
    req.on('close', () => {
      if (!ended) reject(new BodyError(400, 'Request body incomplete'));
    });
  });
}

/**
 * The media type of the errors this handler answers itself, chosen as Apollo chooses its own:
 * `application/json` unless the client accepts only `application/graphql-response+json`.
 */
function errorContentType(accept: string | undefined): string {
  const types = (accept ?? '').split(',').map((part) => {
    const [mediaType = ''] = part.split(';'); // split always yields at least one element
    return mediaType.trim().toLowerCase();
  });
  const acceptsJson = !accept || types.some((type) => type === 'application/json' || type === 'application/*' || type === '*/*');
  return acceptsJson || !types.includes('application/graphql-response+json')
    ? 'application/json; charset=utf-8'
    : 'application/graphql-response+json; charset=utf-8';
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  code: string,
  headers: Record<string, string> = {},
) {
  // A refused body may not have been read to its end: the connection is not reused.
  const close = status === 413 ? { connection: 'close' } : {};
  res.writeHead(status, { 'content-type': errorContentType(req.headers.accept), ...headers, ...close });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/**
 * Whether a request's document may hold a mutation: its text has the keyword (or it has no text,
 * an automatic persisted query by hash alone). A false positive only reads from the primary.
 */
function mayBeMutation(body: unknown): boolean {
  const query = typeof body === 'object' && body !== null ? (body as { query?: unknown }).query : undefined;
  return typeof query !== 'string' || /\bmutation\b/.test(query);
}

/** Serves Apollo on node:http (Apollo 5's integration API), without a web framework. */
export function createGraphQLHandler(
  apollo: ApolloServer<RequestContext>,
  contextFor: (
    req: IncomingMessage,
    count: StatementCount | null,
    reads: ReadsOf,
    speculative: SpeculativeReads | null,
  ) => Promise<RequestContext>,
  options: { exposeStatementCount: boolean; trustedDocuments?: TrustedDocuments; routing?: Pick<ReadRouting, 'speculativeReader'> },
) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      let text: string;
      try {
        text = await readBody(req);
      } catch (error) {
        if (error instanceof BodyError) return sendError(req, res, error.status, error.message, 'BAD_REQUEST');
        throw error;
      }
      const contentType = headers.get('content-type') ?? '';
      if (contentType.includes('json')) {
        try {
          body = text.length ? JSON.parse(text) : undefined;
        } catch {
          return sendError(req, res, 400, 'The request body is not valid JSON', 'BAD_REQUEST');
        }
      } else {
        body = text;
      }
    }
    // Trusted documents (src/http/trusted-documents.ts): a listed document asked for by id becomes
    // its text; a refused request ends here, before authentication, parsing or execution.
    const trusted = resolveTrustedDocument(options.trustedDocuments ?? NO_TRUSTED_DOCUMENTS, {
      method: req.method ?? 'GET',
      body,
      search: url.search,
      authorization: headers.get('authorization'),
    });
    if (!trusted.ok) return sendError(req, res, trusted.status, trusted.message, trusted.code, trusted.headers);
    const tokenText = headers.get(CONSISTENCY_TOKEN_HEADER);
    const token = tokenText ? parseToken(tokenText) : null;
    if (tokenText && token === null) {
      return sendError(req, res, 400, `${CONSISTENCY_TOKEN_HEADER} is not a consistency token this API issued`, 'BAD_CONSISTENCY_TOKEN');
    }
    const reads: ReadsOf = { token, mayWrite: req.method !== 'GET' && mayBeMutation(trusted.body) };
    const count = options.exposeStatementCount ? { statements: 0 } : null;
    const run = (speculative: SpeculativeReads | null) =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: trusted.search, body: trusted.body },
        context: async () => {
          try {
            return await contextFor(req, count, reads, speculative);
          } catch (error) {
            // Authentication reads the database: when it is down, say so (503), don't fail as a 500.
            if (!isDatabaseUnavailable(error)) throw error;
            throw new GraphQLError(DATABASE_UNAVAILABLE_MESSAGE, {
              originalError: error instanceof Error ? error : undefined,
              extensions: {
                code: 'SERVICE_UNAVAILABLE',
                http: { status: 503, headers: new HeaderMap([['retry-after', String(RETRY_AFTER_SECONDS)]]) },
              },
            });
          }
        },
      });
    // A query may read a replica while the watermark is read; an answer the check refuses is
    // discarded (it wrote nothing) and the query runs again, routed as usual.
    const speculative = options.routing?.speculativeReader(reads) ?? null;
    let result = await run(speculative);
    if (speculative && !(await speculative.confirmed())) {
      if (count) count.statements = 0;
      result = await run(null);
    }
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
