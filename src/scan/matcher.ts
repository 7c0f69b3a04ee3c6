/**
 * Finds every occurrence of a set of byte strings (the needles) in a buffer,
 * exactly: a sampled q-gram filter, then a byte comparison of each candidate.
 *
 * Every needle of at least {@link MIN_SAMPLED} bytes is indexed by each of its
 * 4-byte grams (at every offset). Any occurrence of a needle of length L ≥ m
 * (m: the shortest indexed needle) spans L − 3 ≥ m − 3 gram positions, so
 * looking up only every (m − 3)-th position of the text meets at least one
 * gram of every occurrence; each gram found names the needles and offsets it
 * came from, and the candidate start is compared byte for byte. With the
 * 43-character secrets Warden makes, one position in 40 is looked up: the
 * scan costs a fraction of reading the file (bench/scan.bench.ts). An
 * Aho–Corasick automaton visits every byte; the JavaScript ones measured
 * (modern-ahocorasick, over latin1 strings) were about ten times slower here.
 *
 * Needles shorter than {@link MIN_SAMPLED} bytes would make the stride too
 * short: each is looked for with `Buffer.indexOf`.
 */
import type { Needle } from './needles.js';

/** Gram width, in bytes: one 32-bit number per gram. */
const Q = 4;
/** Needles shorter than this are looked for one by one (`indexOf`) instead of through the grams. */
export const MIN_SAMPLED = 8;

export class NeedleMatcher {
  /** gram → flat list of (needle index, offset of the gram in the needle) pairs. */
  private readonly grams = new Map<number, number[]>();
  private readonly short: number[] = [];
  private readonly stride: number;
  /** Where the first looked-up gram starts: the last gram of a needle of the shortest length starting at 0. */
  private readonly first: number;

  constructor(private readonly needles: readonly Needle[]) {
    // The dedup key of an occurrence packs the needle's index in 16 bits.
    if (needles.length > 65_536) throw new RangeError(`at most 65 536 needles, not ${needles.length}`);
    let shortest = Infinity;
    needles.forEach((needle, index) => {
      const bytes = needle.bytes;
      if (bytes.length < MIN_SAMPLED) {
        this.short.push(index);
        return;
      }
      shortest = Math.min(shortest, bytes.length);
      for (let offset = 0; offset + Q <= bytes.length; offset++) {
        const gram = bytes.readUInt32LE(offset);
        const list = this.grams.get(gram);
        if (list === undefined) this.grams.set(gram, [index, offset]);
        else list.push(index, offset);
      }
    });
    this.stride = shortest === Infinity ? 1 : shortest - Q + 1;
    this.first = shortest === Infinity ? 0 : shortest - Q;
  }

  /**
   * Calls `found(needle, start)` once for every occurrence of every needle in
   * `buf[0, length)`, in no particular order (overlapping ones included).
   */
  scan(buf: Buffer, length: number, found: (needle: number, start: number) => void): void {
    if (this.grams.size > 0) this.sampled(buf, length, found);
    const text = buf.subarray(0, length);
    for (const index of this.short) {
      const bytes = this.needles[index]!.bytes;
      for (let at = text.indexOf(bytes); at !== -1; at = text.indexOf(bytes, at + 1)) found(index, at);
    }
  }

  private sampled(buf: Buffer, length: number, found: (needle: number, start: number) => void): void {
    const { grams, needles, stride } = this;
    // An occurrence spanning several looked-up positions is verified from each: report it once.
    let seen: Set<number> | undefined;
    for (let p = this.first, last = length - Q; p <= last; p += stride) {
      const list = grams.get((buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0);
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i += 2) {
        const index = list[i]!;
        const start = p - list[i + 1]!;
        const bytes = needles[index]!.bytes;
        if (start < 0 || start + bytes.length > length) continue;
        if (buf.compare(bytes, 0, bytes.length, start, start + bytes.length) !== 0) continue;
        // Needles are few (a tenant's secrets times six forms) and files at most 10 MB: the key is exact.
        const key = start * 65_536 + index;
        seen ??= new Set();
        if (seen.has(key)) continue;
        seen.add(key);
        found(index, start);
      }
    }
  }

  /** Forgets the grams (they are pieces of the values); the needles themselves are the caller's to zero. */
  clear(): void {
    this.grams.clear();
  }
}
