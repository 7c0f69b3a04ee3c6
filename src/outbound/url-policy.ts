/**
 * The one policy every outbound URL obeys (docs/operations.md, "Outbound
 * URLs"): the platform's base URL, a SCIM directory, and any later webhook or
 * barcode call. A URL names a server Warden sends a tenant's bearer token to,
 * so what it may name is narrow:
 *
 * - `https://` only; plain `http://` only to a loopback address (`127.0.0.0/8`,
 *   `::1`, `localhost`), which is where the simulator and the tests listen;
 * - written with `//` (`http:api.example.com/v3`, which the WHATWG parser would
 *   quietly read as `http://api.example.com/v3`, is refused), without
 *   credentials, spaces or control characters;
 * - no address in a link-local (the cloud metadata service at 169.254.169.254
 *   included), private, carrier-grade NAT, unique-local, multicast, unspecified,
 *   reserved or other special-purpose range: only global unicast and literal
 *   loopback pass, unless the operator names the network in
 *   `WARDEN_ALLOW_PRIVATE_NETWORKS`;
 * - an address is judged as the WHATWG URL parser normalises it, so
 *   `0x7f000001`, `2130706433` and `127.1` are `127.0.0.1`, and an IPv4-mapped
 *   IPv6 address (`::ffff:a9fe:a9fe`) is judged as the IPv4 address it maps.
 *
 * {@link OutboundUrlPolicy.parse} is pure and runs when a URL is given;
 * {@link OutboundUrlPolicy.checkHost} resolves a host name (every address it
 * has) before each request, so a name pointing at a forbidden address is
 * refused too, and a name may not point at loopback (only `localhost` and a
 * literal address may say so openly). What remains: fetch resolves the name
 * again when it connects, so a DNS server that answers a public address to the
 * check and a private one a moment later (DNS rebinding, TTL 0) can still
 * steer that one connection. TLS narrows it: the server must still show a
 * certificate for the name before the token is sent over `https://`.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { InputError } from '../errors.js';
import { parseCidr, type ParsedCidr } from '../rules/cidr.js';

/** A URL or an address the policy refuses; `path` names the flag or setting that gave the URL. */
export class OutboundUrlError extends InputError {
  override readonly name = 'OutboundUrlError';
}

/** Options of {@link OutboundUrlPolicy}. */
export interface OutboundUrlPolicyOptions {
  /**
   * Networks (CIDRs) the operator allows although they are private or special,
   * from `WARDEN_ALLOW_PRIVATE_NETWORKS`. `https://` is still required there.
   * @defaultValue none
   */
  allowPrivateNetworks?: readonly string[];
  /**
   * Every address of a host name. Tests give their own, so that a name
   * pointing at a private address is tried without any traffic.
   * @defaultValue node:dns `lookup` with `all: true`
   */
  resolve?: (hostname: string) => Promise<readonly string[]>;
}

/** ipaddr.js's ranges as a person reads them. */
const RANGE_WORDS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (the cloud metadata service included)',
  private: 'a private address',
  carrierGradeNat: 'a carrier-grade NAT address',
  uniqueLocal: 'a unique-local address',
  reserved: 'a reserved address',
};

/** C0 and C1 control characters, DEL and every kind of white space. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/;

const UNLESS = ': refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network';

const defaultResolve = async (hostname: string): Promise<string[]> =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export class OutboundUrlPolicy {
  readonly #allowed: readonly ParsedCidr[];
  readonly #resolve: (hostname: string) => Promise<readonly string[]>;

  constructor(options: OutboundUrlPolicyOptions = {}) {
    this.#allowed = (options.allowPrivateNetworks ?? []).map((text) => {
      const cidr = parseCidr(text);
      if (cidr === undefined) throw new InputError('WARDEN_ALLOW_PRIVATE_NETWORKS', `not a CIDR: ${JSON.stringify(text)}`);
      return cidr;
    });
    this.#resolve = options.resolve ?? defaultResolve;
  }

  /**
   * Checks a URL's text; pure (no DNS).
   * @param field - what errors name, e.g. `--base-url`
   * @returns the parsed, normalised URL: what is stored and used, never the text as given
   * @throws {@link OutboundUrlError} naming `field` when the URL is refused
   */
  parse(text: string, field: string): URL {
    const refuse = (problem: string) => new OutboundUrlError(field, problem);
    // Before parsing: the WHATWG parser silently drops tabs and newlines and trims spaces.
    if (UNSAFE_CHARS.test(text)) throw refuse('must not contain spaces or control characters');
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw refuse(`not a URL: ${JSON.stringify(text)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must be an https URL');
    if (!/^https?:\/\//i.test(text)) throw refuse('must start with https:// (or http:// for a loopback address)');
    if (url.username !== '' || url.password !== '') throw refuse('must not carry credentials');
    const host = hostOf(url);
    const literal = isIP(host) !== 0;
    if (literal) {
      const problem = this.addressProblem(host);
      if (problem !== undefined) throw refuse(`${problem.address} is ${problem.kind}${UNLESS}`);
    }
    const loopback = host === 'localhost' || (literal && isLoopback(host));
    if (url.protocol === 'http:' && !loopback) throw refuse('must be an https URL (plain http only to a loopback address such as 127.0.0.1)');
    return url;
  }

  /**
   * Why an address may not be called (its normal form and what kind of address
   * it is), or `undefined` when it may: global unicast, loopback, or inside a
   * network the operator allowed. Pure.
   */
  addressProblem(address: string): { address: string; kind: string } | undefined {
    let ip = ipaddr.parse(address);
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
    const range = ip.range();
    if (range === 'unicast' || range === 'loopback') return undefined;
    // match() compares the first `prefix` bits; the kinds are checked first.
    if (this.#allowed.some((c) => c.address.kind() === ip.kind() && (ip as ipaddr.IPv4).match(c.address, c.prefix))) return undefined;
    return { address: ip.toString(), kind: RANGE_WORDS[range] ?? `a special-purpose address (${range})` };
  }

  /**
   * Resolves the URL's host, if it is a name, and refuses it when any of its
   * addresses is forbidden, or when a name other than `localhost` points at
   * loopback. Run before each request (./http-client.ts).
   * @throws {@link OutboundUrlError} naming `field`; a failed lookup rejects with the resolver's error (its `code`, e.g. `ENOTFOUND`)
   */
  async checkHost(url: URL, field: string): Promise<void> {
    const host = hostOf(url);
    if (isIP(host) !== 0) {
      const problem = this.addressProblem(host);
      if (problem !== undefined) throw new OutboundUrlError(field, `${problem.address} is ${problem.kind}${UNLESS}`);
      return;
    }
    const addresses = await this.#resolve(host);
    for (const address of addresses) {
      const problem = this.addressProblem(address);
      if (problem !== undefined) throw new OutboundUrlError(field, `${host} resolves to ${problem.address}, ${problem.kind}${UNLESS}`);
      if (host !== 'localhost' && isLoopback(address)) throw new OutboundUrlError(field, `${host} resolves to the loopback address ${address}: name it as 127.0.0.1 or localhost instead`);
      if (host === 'localhost' && !isLoopback(address)) throw new OutboundUrlError(field, `localhost resolves to ${address}, which is not a loopback address`);
    }
  }
}

/** The URL's host without the brackets of an IPv6 literal. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function isLoopback(address: string): boolean {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() === 'loopback';
}
