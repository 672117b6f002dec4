import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';
import { isApiError } from '../errors.js';
import { authorizeModelCall } from '../usage/authorize-model-call.js';

/**
 * `GET /authz/model-call`: `authorizeModelCall` for reverse proxies' forward-auth (nginx
 * `auth_request`, Traefik ForwardAuth, Envoy ext_authz). The key comes in `Authorization`, the
 * model in `X-Model`, the client's address from `X-Forwarded-For` when the proxy is trusted.
 * The answer is only a status (204, 401, 403 or 429, which is what such proxies understand) and
 * headers: `X-Call-Id`, `X-RateLimit-Limit` / `X-RateLimit-Remaining`, `Retry-After`, and
 * `X-Denial-Reason` with the reason `authorizeModelCall` gives. A counter store that is down
 * answers 429 with `Retry-After: 1`: never allowed by default.
 */
export async function serveModelCallAuthorization(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  contextFor: (req: IncomingMessage) => Promise<RequestContext>,
): Promise<boolean> {
  if (url.pathname !== '/authz/model-call') return false;
  const answer = (status: 204 | 401 | 403 | 429, headers: Record<string, string | number> = {}) => {
    res.writeHead(status, { 'cache-control': 'no-store', ...headers });
    res.end();
    return true;
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(403, { 'x-denial-reason': 'METHOD_NOT_ALLOWED' });
  const ctx = await contextFor(req);
  if (ctx.authError || !ctx.presentedApiKey) return answer(401, { 'www-authenticate': 'Bearer' });
  const model = req.headers['x-model'];
  if (typeof model !== 'string' || model === '') return answer(403, { 'x-denial-reason': 'MODEL_NOT_FOUND' });
  try {
    const decision = await authorizeModelCall(ctx, { model });
    const window: Record<string, number> = decision.rateLimit
      ? { 'x-ratelimit-limit': decision.rateLimit.limit, 'x-ratelimit-remaining': decision.rateLimit.remaining }
      : {};
    if (decision.allowed) return answer(204, { 'x-call-id': decision.callId ?? '', ...window });
    if (decision.retryAfterSeconds !== null) {
      return answer(429, { 'retry-after': decision.retryAfterSeconds, 'x-denial-reason': decision.reason, ...window });
    }
    return answer(403, { 'x-denial-reason': decision.reason });
  } catch (error) {
    const code = isApiError(error) ? error.extensions.code : null;
    if (code === 'UNAUTHENTICATED') return answer(401, { 'www-authenticate': 'Bearer' });
    if (code === 'SERVICE_UNAVAILABLE') return answer(429, { 'retry-after': 1, 'x-denial-reason': 'SERVICE_UNAVAILABLE' });
    if (code === 'BAD_USER_INPUT') return answer(403, { 'x-denial-reason': 'MODEL_NOT_FOUND' });
    throw error;
  }
}
