// The scan's core (src/scan/): the forms of a value, the sampled multi-needle matcher against a
// plain indexOf of every needle, and line numbers.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { emptyTally, isBinary, matchLines } from '../../../src/scan/content.js';
import { MIN_SAMPLED, NeedleMatcher } from '../../../src/scan/matcher.js';
import { dropNeedles, encodingsOf, needlesOf, type Needle } from '../../../src/scan/needles.js';

const forms = (value: string | Buffer) => Object.fromEntries(encodingsOf(Buffer.from(value)).map(([e, b]) => [e, b.toString('latin1')]));

/** Every occurrence of every needle, the slow and obvious way. */
function naive(needles: readonly Needle[], text: Buffer): string[] {
  const out: string[] = [];
  needles.forEach((n, i) => {
    for (let at = text.indexOf(n.bytes); at !== -1; at = text.indexOf(n.bytes, at + 1)) out.push(`${i}@${at}`);
  });
  return out.sort();
}

function fast(needles: readonly Needle[], text: Buffer): string[] {
  const out: string[] = [];
  new NeedleMatcher(needles).scan(text, text.length, (i, at) => out.push(`${i}@${at}`));
  return out.sort();
}

/** A deterministic byte stream (xorshift), so a failing case can be replayed. */
function bytes(seed: number, length: number, alphabet = 256): Buffer {
  let x = seed || 1;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % alphabet;
  }
  return out;
}

describe('the forms of a value', () => {
  it('are the value, standard and URL-safe base64 with and without padding, and its URL encoding', () => {
    // 35 bytes: padding of one `=`; `+`, `/` in standard base64 and `-`, `_` in the URL-safe one.
    const value = Buffer.concat([Buffer.from('a+b/c?d&e=f gh%ij'), Buffer.from([0xfb, 0xff, 0xfe]), Buffer.from('0123456789ABCDE')]);
    const text = encodingsOf(value);
    expect(text.map(([e]) => e)).toEqual(['raw', 'base64', 'base64-unpadded', 'base64url', 'base64url-padded']);
    const f = Object.fromEntries(text.map(([e, b]) => [e, b.toString('latin1')]));
    expect(f['base64']).toBe(value.toString('base64'));
    expect(f['base64']).toMatch(/[+/].*=$/);
    expect(f['base64-unpadded']).toBe(value.toString('base64').replace(/=+$/, ''));
    expect(f['base64url']).toBe(value.toString('base64url'));
    expect(f['base64url-padded']).toBe(`${value.toString('base64url')}=`);
    // Not UTF-8: no URL encoding to look for.
    expect(f['url-encoded']).toBeUndefined();
    expect(forms('a+b/c?d&e=f gh%ij')['url-encoded']).toBe(encodeURIComponent('a+b/c?d&e=f gh%ij'));
  });

  it('leave out a form equal to one before it', () => {
    // 42 bytes: no padding; Warden's own values are base64url text, which URL encoding leaves as it is.
    const value = `${randomBytes(24).toString('base64url')}abcdefghij`;
    expect(value.length % 3).toBe(0);
    const f = forms(value);
    expect(Object.keys(f)).not.toContain('base64-unpadded');
    expect(Object.keys(f)).not.toContain('base64url-padded');
    expect(Object.keys(f)).not.toContain('url-encoded');
    expect(forms('plain-text-with-no-special-bytes')).not.toHaveProperty('base64url');
  });

  it('make one needle with two owners of one value held twice, and are zeroed by dropNeedles', () => {
    const value = Buffer.from('the same value under two names, 33');
    const needles = needlesOf([value, Buffer.from(value), Buffer.alloc(0)]);
    expect(needles.length).toBe(encodingsOf(value).length);
    for (const n of needles) expect(n.owners.map((o) => o.value)).toEqual([0, 1]);
    dropNeedles(needles);
    for (const n of needles) expect(n.bytes.every((b) => b === 0)).toBe(true);
  });
});

describe('the matcher', () => {
  it('finds what indexOf finds, on random texts with needles of many lengths planted at the edges and overlapping', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const alphabet = seed % 2 === 0 ? 4 : 256;
      const lengths = [MIN_SAMPLED, 9, 12, 31, 43, 64, 3, 1];
      const needles: Needle[] = lengths.map((len, i) => ({ bytes: bytes(seed * 100 + i, len, alphabet), owners: [] }));
      const text = bytes(seed * 7919, 5000, alphabet);
      // At the very start, at the very end, overlapping one another, and a needle twice in a row.
      needles[4]!.bytes.copy(text, 0);
      needles[1]!.bytes.copy(text, text.length - needles[1]!.bytes.length);
      needles[5]!.bytes.copy(text, 1000);
      needles[2]!.bytes.copy(text, 1010);
      needles[3]!.bytes.copy(text, 2000);
      needles[3]!.bytes.copy(text, 2000 + needles[3]!.bytes.length);
      needles[0]!.bytes.copy(text, 3000);
      expect(fast(needles, text), `seed ${seed}`).toEqual(naive(needles, text));
    }
  });

  it('reports a needle that spans many looked-up positions once, and a repeated one each time', () => {
    const long = Buffer.from('x'.repeat(200));
    const needles: Needle[] = [{ bytes: Buffer.from('abcdefghij'), owners: [] }, { bytes: long, owners: [] }];
    const text = Buffer.concat([Buffer.from('--abcdefghijabcdefghij--'), long]);
    expect(fast(needles, text)).toEqual(['0@12', '0@2', '1@24']);
  });

  it('reads only the given length of a reused buffer', () => {
    const needles: Needle[] = [{ bytes: Buffer.from('secret-value-123'), owners: [] }];
    const buffer = Buffer.from('nothing here....secret-value-123');
    const found: number[] = [];
    new NeedleMatcher(needles).scan(buffer, 20, (_, at) => found.push(at));
    expect(found).toEqual([]);
  });

  it('forgets its grams when cleared', () => {
    const needles: Needle[] = [{ bytes: Buffer.from('secret-value-123'), owners: [] }];
    const matcher = new NeedleMatcher(needles);
    matcher.clear();
    const found: number[] = [];
    matcher.scan(Buffer.from('secret-value-123'), 16, (_, at) => found.push(at));
    expect(found).toEqual([]);
  });
});

describe('lines and binary files', () => {
  it('numbers lines from 1 as \\n ends them, CRLF files alike, several matches in one file in order', () => {
    const needles: Needle[] = [{ bytes: Buffer.from('NEEDLE-0123456789'), owners: [] }];
    const text = Buffer.from('NEEDLE-0123456789\r\nsecond\r\n\r\nx = NEEDLE-0123456789 NEEDLE-0123456789\nlast NEEDLE-0123456789');
    const lines = matchLines(new NeedleMatcher(needles), text, text.length).map((m) => m.line);
    expect(lines).toEqual([1, 4, 4, 5]);
  });

  it('takes a NUL byte in the first 8 KB for binary, not one after it', () => {
    const early = Buffer.alloc(10_000, 'a');
    early[8191] = 0;
    expect(isBinary(early, early.length)).toBe(true);
    const late = Buffer.alloc(10_000, 'a');
    late[8192] = 0;
    expect(isBinary(late, late.length)).toBe(false);
    expect(emptyTally()).toEqual({ files: 0, blobs: 0, skipped: { binary: 0, too_large: 0, not_regular: 0 }, unreadable: [] });
  });
});
