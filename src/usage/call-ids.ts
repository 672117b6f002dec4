import { randomBytes } from 'node:crypto';
import type { SessionSigner } from '../auth/session.js';

const PREFIX = 'call_';
const PURPOSE = 'model-call-id';

/** What a call ID names: the key that was allowed the call, where, and when. */
export interface CallClaims {
  apiKeyId: string;
  workspaceId: string;
  modelId: string;
  calledAt: Date;
}

/**
 * A call ID is signed, not stored: allowing a call writes only its counter. The usage of a call
 * is recorded once, keyed by its ID (src/usage/usage.repository.ts), and a forged ID fails here.
 */
export function issueCallId(signer: SessionSigner, claims: CallClaims): string {
  // A random part: two calls allowed in the same millisecond are two calls.
  const nonce = randomBytes(9).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify([claims.apiKeyId, claims.workspaceId, claims.modelId, claims.calledAt.getTime(), nonce]),
  ).toString('base64url');
  return `${PREFIX}${payload}.${signer.mac(PURPOSE, payload)}`;
}

export function verifyCallId(signer: SessionSigner, callId: string): CallClaims | null {
  if (!callId.startsWith(PREFIX) || callId.length > 512) return null;
  const [payload, mac, ...rest] = callId.slice(PREFIX.length).split('.');
  if (!payload || !mac || rest.length > 0 || signer.mac(PURPOSE, payload) !== mac) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 5) return null;
    const [apiKeyId, workspaceId, modelId, at] = value;
    if (typeof apiKeyId !== 'string' || typeof workspaceId !== 'string' || typeof modelId !== 'string' || typeof at !== 'number')
      return null;
    return { apiKeyId, workspaceId, modelId, calledAt: new Date(at) };
  } catch {
    return null;
  }
}
