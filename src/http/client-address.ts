import { isIP } from 'node:net';
import { ipInAllowlist } from '../policy/cidr.js';

/** IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d` (a forwarded one may be written `::FFFF:`). */
export const plainAddress = (address: string) =>
  address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;

export interface ClientAddress {
  /** The client's address as believed: the peer's, or the one a trusted proxy forwarded. */
  address: string | null;
  /** The socket's peer is one of TRUSTED_PROXIES: what it forwards is believed. */
  viaTrustedProxy: boolean;
}

/**
 * The socket's peer is the client, unless it is a trusted proxy: then the client is the
 * right-most address of `X-Forwarded-For` that is not a trusted proxy (each proxy appends the
 * address it saw; only what trusted proxies appended can be believed). A malformed entry stops
 * the walk at the last address that was believed.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: readonly string[],
): ClientAddress {
  if (!peer) return { address: null, viaTrustedProxy: false };
  let client = plainAddress(peer);
  if (!trustedProxies.length || !ipInAllowlist(client, trustedProxies)) return { address: client, viaTrustedProxy: false };
  const hops = [forwardedFor ?? []]
    .flat()
    .join(',')
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (const hop of hops.reverse()) {
    if (isIP(hop) === 0) break;
    client = plainAddress(hop);
    if (!ipInAllowlist(client, trustedProxies)) break;
  }
  return { address: client, viaTrustedProxy: true };
}
