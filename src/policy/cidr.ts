import { BlockList, isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `a.b.c.d/n`, an IPv6 CIDR, or a bare address (a /32 or /128). Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  if (rest.length) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

const allowlists = new Map<string, BlockList>();

/** Whether `ip` falls in one of `cidrs` (each already validated by parseCidr). */
export function ipInAllowlist(ip: string, cidrs: readonly string[]): boolean {
  const version = isIP(ip);
  if (version === 0) return false;
  const cacheKey = cidrs.join(',');
  let list = allowlists.get(cacheKey);
  if (!list) {
    list = new BlockList();
    for (const text of cidrs) {
      const cidr = parseCidr(text);
      if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    // Bounded: allowlists are few and small; a full cache simply starts over.
    if (allowlists.size >= 10_000) allowlists.clear();
    allowlists.set(cacheKey, list);
  }
  return list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}
