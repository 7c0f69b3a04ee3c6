/**
 * The definitions of docs/rules.md the DAT and CARE rules share: a webhook's
 * host, a secure webhook, an approved host, and the tag match.
 *
 * The host is read by RFC 3986 (scheme, `//`, authority) and not by the WHATWG
 * URL parser of `new URL`: that one also "repairs" what RFC 3986 rejects
 * (backslashes for slashes, `http:host` without `//`, numbers as IPv4
 * addresses, IDNA), so the host it gives is not always the one the rules define.
 * Only the scheme and the authority decide: what follows them (path, query,
 * fragment) is not judged, so an odd character in a path does not turn a
 * webhook into one "without a host".
 */
import type { DataDestination, Webhook } from '../snapshot.js';

// scheme ":" "//" authority, the authority ending at the first "/", "?" or "#".
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;
// userinfo, reg-name (pct-encoded, unreserved, sub-delims) and port of RFC 3986 section 3.2.
const USERINFO = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*$/;
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;
const IP_LITERAL = /^\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]$/;
const PORT = /^\d*$/;

/**
 * The webhook host of `url`: lower-cased, without port or one trailing dot;
 * null when `url` is not an absolute URL with a host (docs/rules.md "Definitions").
 */
export function webhookHost(url: string | null): string | null {
  if (url === null) return null;
  const m = ABSOLUTE.exec(url);
  if (m === null) return null;
  let authority = m[2]!;
  const at = authority.indexOf('@');
  if (at !== -1) {
    if (!USERINFO.test(authority.slice(0, at))) return null;
    authority = authority.slice(at + 1);
  }
  let host: string;
  let port: string;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) return null;
    host = authority.slice(0, close + 1);
    if (!IP_LITERAL.test(host)) return null;
    port = authority.slice(close + 1);
    if (port !== '' && !port.startsWith(':')) return null;
    port = port.slice(1);
  } else {
    const colon = authority.indexOf(':');
    host = colon === -1 ? authority : authority.slice(0, colon);
    port = colon === -1 ? '' : authority.slice(colon + 1);
    if (!REG_NAME.test(host)) return null;
  }
  if (!PORT.test(port)) return null;
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host === '' ? null : host;
}

/** The scheme of an absolute `url`, lower-cased; null when there is none. */
export function schemeOf(url: string | null): string | null {
  if (url === null) return null;
  const colon = url.indexOf(':');
  return colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, colon)) ? url.slice(0, colon).toLowerCase() : null;
}

/** Secure webhook: the url's scheme is `https`, in any case. */
export function isSecure(webhook: Webhook): boolean {
  return schemeOf(webhook.url) === 'https';
}

/** The tenant's approved destinations, read once: exact hosts, and the suffixes of `*.` entries. */
export interface ApprovedHosts {
  count: number;
  exact: ReadonlySet<string>;
  /** `.crm.example` for `*.crm.example`: a host must end with it, so the bare name does not match. */
  suffixes: readonly string[];
}

export function approvedHosts(destinations: readonly DataDestination[]): ApprovedHosts {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const { host } of destinations) {
    const h = host.toLowerCase();
    if (h.startsWith('*.')) suffixes.push(h.slice(1));
    else exact.add(h);
  }
  return { count: destinations.length, exact, suffixes };
}

/** Approved host: equal to an entry, or ending with `.S` for an entry `*.S`. */
export function isApproved(host: string, approved: ApprovedHosts): boolean {
  return approved.exact.has(host) || approved.suffixes.some((s) => host.endsWith(s));
}

/** Tag match: `trim(lowercase(tag))`. */
export function tagKey(tag: string): string {
  return tag.toLowerCase().trim();
}

/** How titles name a webhook, after the word "webhook": its id and trigger, never its URL (it may carry a key). */
export function webhookRef(webhook: Webhook): string {
  return webhook.trigger === null ? webhook.id : `${webhook.id} (${webhook.trigger})`;
}

/** A webhook's subject label: `webhook 4 (profile.updated)`. */
export function webhookLabel(webhook: Webhook): string {
  return `webhook ${webhookRef(webhook)}`;
}
