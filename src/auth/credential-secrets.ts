import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The secrets programs present: API keys (`sk-`), AccessKey pairs (`LTAI…:secret`) and, signed
 * rather than stored, temporary keys (`st-`, src/auth/session.ts). Stored secrets are kept as
 * hashes; a plain SHA-256 suffices because they are random, so there is nothing to brute-force.
 */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two hex hashes in constant time. */
export const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const API_KEY_PATTERN = /^sk-[A-Za-z0-9_-]{43}$/;

/** `sk-` and 43 base64url characters (256 random bits). */
export function newApiKeySecret(): { secret: string; prefix: string; hash: string } {
  const secret = `sk-${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, 9), hash: hashApiKeySecret(secret) };
}

export const looksLikeApiKey = (token: string) => token.startsWith('sk-');
export const isWellFormedApiKey = (token: string) => API_KEY_PATTERN.test(token);

export const TEMPORARY_KEY_PREFIX = 'st-';
export const looksLikeTemporaryKey = (token: string) => token.startsWith(TEMPORARY_KEY_PREFIX);

/** An AccessKeyId (`LTAI` and 20 characters, like Alibaba Cloud's) and its 32-character secret (192 random bits). */
const ACCESS_KEY_PAIR = /^(LTAI[a-z0-9]{20}):([A-Za-z0-9_-]{32})$/;

export function newAccessKeySecret(): { secret: string; hash: string } {
  const secret = randomBytes(24).toString('base64url');
  return { secret, hash: hashApiKeySecret(secret) };
}

export const looksLikeAccessKeyPair = (token: string) => token.startsWith('LTAI') && token.includes(':');

export function parseAccessKeyPair(token: string): { accessKeyId: string; secret: string } | null {
  const match = ACCESS_KEY_PAIR.exec(token);
  return match?.[1] && match[2] ? { accessKeyId: match[1], secret: match[2] } : null;
}
