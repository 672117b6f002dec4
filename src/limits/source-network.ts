import { isIP } from 'node:net';
import { plainAddress } from '../http/client-address.js';

/** The first four groups of an IPv6 address (its /64), written without leading zeros. */
function ipv6Slash64(address: string): string {
  const [unscoped = ''] = address.toLowerCase().split('%'); // split always yields at least one element
  const [head = '', tail] = unscoped.split('::');
  // An embedded IPv4 address (`64:ff9b::1.2.3.4`) stands for two groups.
  const groups = (part: string) => (part ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${all
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Whom per-address limits count: an IPv4 address, or an IPv6 /64 (one subscriber's network
 * hands out as many addresses of its /64 as it likes). `unknown` when there is no address.
 */
export function sourceAddressKey(address: string | null): string {
  if (!address) return 'unknown';
  const ip = plainAddress(address);
  const [unscoped = ''] = ip.split('%'); // split always yields at least one element
  return isIP(unscoped) === 6 ? ipv6Slash64(ip) : ip;
}

/** The source network a login lockout applies to: an IPv4 /24 or an IPv6 /64. */
export function sourceNetworkKey(address: string | null): string {
  if (!address) return 'unknown';
  const ip = plainAddress(address);
  if (isIP(ip) === 4) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  return sourceAddressKey(ip);
}
