/**
 * Strict parsing of allowlist entries. Only the textbook forms count as valid:
 * dotted-quad IPv4 and RFC 4291 IPv6 (as `node:net` checks them), with an
 * optional decimal prefix. No trimming, no zone ids, no legacy forms such as
 * `10.1` or `0x0a.0.0.1` that some parsers accept.
 */
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface ParsedCidr {
  kind: 'ipv4' | 'ipv6';
  address: ipaddr.IPv4 | ipaddr.IPv6;
  /** The prefix length; a bare address is /32 or /128. */
  prefix: number;
}

const PREFIX_RE = /^(?:0|[1-9]\d{0,2})$/;

/** Returns the parsed entry, or `undefined` when it is not a valid address or CIDR. */
export function parseCidr(value: unknown): ParsedCidr | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  const addr = slash === -1 ? value : value.slice(0, slash);
  const prefixText = slash === -1 ? undefined : value.slice(slash + 1);
  let kind: ParsedCidr['kind'];
  if (isIPv4(addr)) kind = 'ipv4';
  else if (isIPv6(addr) && !addr.includes('%')) kind = 'ipv6';
  else return undefined;
  const max = kind === 'ipv4' ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!PREFIX_RE.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > max) return undefined;
  }
  return { kind, address: ipaddr.parse(addr), prefix };
}

const PRIVATE_RANGES: ReadonlyArray<readonly [string, number]> = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::1', 128],
];
const PRIVATE = PRIVATE_RANGES.map(([a, bits]) => ({ address: ipaddr.parse(a), bits, text: `${a}/${bits}` }));

/**
 * The private or special range that wholly contains the entry's network, if any.
 * An entry that merely overlaps one (such as 0.0.0.0/0) is not inside it.
 */
export function privateRangeOf(cidr: ParsedCidr): string | undefined {
  for (const range of PRIVATE) {
    if (range.address.kind() !== cidr.address.kind() || cidr.prefix < range.bits) continue;
    // match() compares the first `bits` bits; the kinds were checked just above.
    if ((cidr.address as ipaddr.IPv4).match(range.address, range.bits)) return range.text;
  }
  return undefined;
}
