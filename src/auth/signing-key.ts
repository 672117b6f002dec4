import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The session signing key: the configured one, or (development) a random key kept in
 * the data folder so that sessions survive restarts. Production refuses to start without one.
 */
export function resolveSigningKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const key = randomBytes(48).toString('base64url');
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    return key;
  }
}
