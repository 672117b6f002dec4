import type { IncomingMessage, ServerResponse } from 'node:http';
import { decideFor } from '../access/decide-for.js';
import { auditEventView } from '../audit/audit-event-view.js';
import { auditCursor, auditExportParameters } from '../audit/audit-filter.js';
import { type AuditFilter, listAuditEvents } from '../audit/audit.repository.js';
import { settleAuthentication } from '../auth/authentication.js';
import type { RequestContext, SignedInContext } from '../context.js';
import { forbidden, isApiError, unauthenticated } from '../errors.js';
import { accountTarget } from '../node-kinds.js';
import { type Cursor, toConnection } from '../relay/connection.js';

/** Events read per statement: what the export holds in memory at most. */
export const AUDIT_EXPORT_PAGE_SIZE = 1000;
/**
 * Lines are written in chunks of about this many characters: few writes, and each chunk small
 * enough for V8's young generation (a page's text in one string, ~1 MB, would be a large object
 * that only a full collection frees, and the heap would grow by one per page until one runs).
 */
const CHUNK_CHARACTERS = 32 * 1024;

function jsonError(res: ServerResponse, status: number, error: { message: string; extensions: Record<string, unknown> }, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ errors: [{ message: error.message, extensions: error.extensions }] }));
  return true;
}

/**
 * Writes a chunk and, when the socket's buffer is full, waits until it drains or the response
 * closes. Called only while the response is open: 'close' cannot have been missed.
 */
async function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * `GET /audit/export`: the account's audit trail, or the part of it a filter selects, as NDJSON
 * (`application/x-ndjson`), newest first. Authorization is that of `auditEvents`: the `read_audit`
 * ability on the caller's account (401 without valid credentials, 403 without the ability, both as
 * JSON errors like the API's). Query parameters are `AuditEventFilter`'s fields (`action`,
 * `actorId`, `resourceId`, `outcome`, and `since` / `until` in ISO 8601), plus `after`, a cursor
 * that `auditEvents` or an earlier export issued; anything else is BAD_USER_INPUT (400).
 *
 * Each line is one event with the fields of the GraphQL `AuditEvent` (the same values: `aud_…` IDs,
 * `changes` with JSON text) and its `cursor`: an export cut short resumes with `after` = the last
 * line's cursor. The events are read in keyset pages of 1000 and written as the client takes them
 * (the socket's backpressure), so memory stays flat however long the trail; a client that goes
 * away stops it. A complete export is a complete chunked response: an error midway aborts the
 * response (the client sees it cut off) and is logged.
 */
export async function serveAuditExport(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  contextFor: (req: IncomingMessage) => Promise<RequestContext>,
): Promise<boolean> {
  if (url.pathname !== '/audit/export') return false;
  if (req.method !== 'GET') {
    return jsonError(res, 405, { message: 'The export answers GET only', extensions: { code: 'BAD_USER_INPUT' } }, { allow: 'GET' });
  }
  const ctx = await contextFor(req);
  await settleAuthentication(ctx);
  if (ctx.auth?.principal.status !== 'ACTIVE') {
    ctx.metrics.denials.inc({ ability: 'authentication', denial: 'UNAUTHENTICATED' });
    return jsonError(res, 401, ctx.authError ?? unauthenticated(), { 'www-authenticate': 'Bearer' });
  }
  const signedIn = ctx as SignedInContext;
  const decision = await decideFor(signedIn, 'read_audit', accountTarget(signedIn));
  if (!decision.allowed) {
    ctx.metrics.denials.inc({ ability: decision.ability, denial: decision.denial ?? 'FORBIDDEN' });
    return jsonError(res, 403, forbidden(undefined, decision.reasons));
  }
  let filter: AuditFilter;
  let after: Cursor | null;
  try {
    const parameters = auditExportParameters(url.searchParams);
    filter = parameters.filter;
    after = auditCursor(parameters.after);
  } catch (error) {
    if (isApiError(error)) return jsonError(res, 400, error);
    throw error;
  }
  await streamTrail(signedIn, res, filter, after);
  return true;
}

async function streamTrail(ctx: SignedInContext, res: ServerResponse, filter: AuditFilter, start: Cursor | null): Promise<void> {
  const accountId = ctx.auth.principal.account_id;
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-store',
    'content-disposition': 'attachment; filename="audit-events.ndjson"',
    'x-content-type-options': 'nosniff',
  });
  // Set when the response is over: the client went away (or it was destroyed below).
  let gone = false;
  res.once('close', () => {
    gone = true;
  });
  let after = start;
  let events = 0;
  try {
    while (!gone) {
      const rows = await listAuditEvents(ctx.db, accountId, filter, { limit: AUDIT_EXPORT_PAGE_SIZE, after });
      const page = toConnection(rows, AUDIT_EXPORT_PAGE_SIZE, (event) => ['', event.id]);
      if (gone) break;
      let chunk: string[] = [];
      let size = 0;
      for (const edge of page.edges) {
        const line = `${JSON.stringify({ ...auditEventView(edge.node), cursor: edge.cursor })}\n`;
        chunk.push(line);
        size += line.length;
        if (size >= CHUNK_CHARACTERS) {
          await write(res, chunk.join(''));
          events += chunk.length;
          if (gone) break;
          chunk = [];
          size = 0;
        }
      }
      if (chunk.length && !gone) {
        await write(res, chunk.join(''));
        events += chunk.length;
      }
      const last = page.edges.at(-1);
      if (!page.pageInfo.hasNextPage || !last) break;
      after = ['', last.node.id];
    }
    const complete = !gone;
    if (complete) res.end();
    ctx.services.logger.info({ requestId: ctx.requestId, accountId, events, complete }, 'audit export');
  } catch (error) {
    ctx.services.logger.error({ err: error, requestId: ctx.requestId, accountId, events }, 'the audit export stopped midway');
    res.destroy();
  }
}
