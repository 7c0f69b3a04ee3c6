/**
 * The byte strings `warden scan` looks for: each secret value as written, and
 * its whole-value encodings (docs/operations.md "Scanning for leaked secrets").
 *
 * - **base64**, standard (`+/`) and URL-safe (`-_`) alphabets, each with and
 *   without `=` padding: what a config file or a Kubernetes secret holds.
 * - **URL-encoded** (`encodeURIComponent`), when it differs from the value:
 *   a value in a query string or a form body.
 *
 * Only encodings of the whole value are looked for. The base64 of a longer
 * text that contains the value (`user:password` in a Basic header) encodes
 * the value's bytes at a shifted bit offset, and is not found: looking for
 * those would match fragments of the value, not the value, and a hit would no
 * longer be certain. The same value under two secrets, or two encodings that
 * come out the same (a value of 3n bytes has no padding), is one needle with
 * several owners.
 *
 * Needles are Buffers so that {@link dropNeedles} can zero them when the scan
 * ends; the intermediate strings of the encoders are left to the collector.
 */

/** How a needle encodes the value, as hits and findings name it. */
export const ENCODINGS = ['raw', 'base64', 'base64-unpadded', 'base64url', 'base64url-padded', 'url-encoded'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** Which value a needle is a form of: an index into the caller's list of values. */
export interface NeedleOwner {
  value: number;
  encoding: Encoding;
}

export interface Needle {
  bytes: Buffer;
  /** Usually one; more when two values, or two encodings of one, are the same bytes. */
  owners: NeedleOwner[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The value as text, or undefined when its bytes are not UTF-8 (then it has no URL encoding to look for). */
function asText(value: Buffer): string | undefined {
  try {
    return utf8.decode(value);
  } catch {
    return undefined;
  }
}

/** The forms of one value, in {@link ENCODINGS} order; a form equal to one before it is left out. */
export function encodingsOf(value: Buffer): [Encoding, Buffer][] {
  const standard = value.toString('base64');
  const urlSafe = value.toString('base64url');
  const padding = '='.repeat((4 - (urlSafe.length % 4)) % 4);
  const text = asText(value);
  const url = text === undefined ? undefined : encodeURIComponent(text);
  const forms: [Encoding, string | Buffer | undefined][] = [
    ['raw', value],
    ['base64', standard],
    ['base64-unpadded', standard.replace(/=+$/, '')],
    ['base64url', urlSafe],
    ['base64url-padded', urlSafe + padding],
    ['url-encoded', url === text ? undefined : url],
  ];
  const out: [Encoding, Buffer][] = [];
  for (const [encoding, form] of forms) {
    if (form === undefined) continue;
    const bytes = typeof form === 'string' ? Buffer.from(form, 'latin1') : Buffer.from(form);
    if (!out.some(([, b]) => b.equals(bytes))) out.push([encoding, bytes]);
  }
  return out;
}

/** Every form of every value, the same bytes once with all their owners. Empty values give nothing. */
export function needlesOf(values: readonly Buffer[]): Needle[] {
  const needles: Needle[] = [];
  values.forEach((value, index) => {
    if (value.length === 0) return;
    for (const [encoding, bytes] of encodingsOf(value)) {
      const same = needles.find((n) => n.bytes.equals(bytes));
      if (same === undefined) needles.push({ bytes, owners: [{ value: index, encoding }] });
      else {
        same.owners.push({ value: index, encoding });
        bytes.fill(0);
      }
    }
  });
  return needles;
}

/** Zeroes every needle's bytes: the end of the values' time in memory. */
export function dropNeedles(needles: readonly Needle[]): void {
  for (const n of needles) n.bytes.fill(0);
}
