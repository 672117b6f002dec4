/**
 * WAL positions (PostgreSQL's `pg_lsn`, printed `16/B374D848`) as bigints, and the consistency
 * tokens that carry them to clients. A token is opaque to its client: `1.` and the position in
 * 16 hex digits, so that its format may change with its version.
 */
export type Lsn = bigint;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const TOKEN = /^1\.([0-9a-f]{16})$/;

/** `16/B374D848` → 0x16_B374D848n; null is PostgreSQL's answer off a standby (`pg_last_wal_replay_lsn()`). */
export function parseLsn(text: string | null): Lsn {
  if (text === null) return 0n;
  const match = LSN_TEXT.exec(text);
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatToken(lsn: Lsn): string {
  return `1.${lsn.toString(16).padStart(16, '0')}`;
}

/** The position a token names, or null when it is not a token. */
export function parseToken(token: string): Lsn | null {
  const match = TOKEN.exec(token.trim());
  return match ? BigInt(`0x${match[1]}`) : null;
}
