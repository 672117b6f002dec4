import { createHash, randomBytes } from 'node:crypto';

const SECRET_PATTERN = /^sk-[A-Za-z0-9_-]{43}$/;

/** `sk-` and 43 base64url characters (256 random bits). */
export function newApiKeySecret(): { secret: string; prefix: string; hash: string } {
  const secret = `sk-${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, 9), hash: hashApiKeySecret(secret) };
}

/** A plain SHA-256 suffices: the secret is random, so there is nothing to brute-force. */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export const looksLikeApiKey = (token: string) => token.startsWith('sk-');
export const isWellFormedApiKey = (token: string) => SECRET_PATTERN.test(token);
