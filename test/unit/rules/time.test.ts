import { describe, expect, it } from 'vitest';
import { iso, isoOrNull, parseInstant } from '../../../src/rules/time.js';

// The builtins are the reference: iso() and the digit-by-digit reader compute
// by hand what Date would, so every result is checked against Date itself.

/** Instants spread over 1970-9999 with a seeded generator, so a failure can be replayed. */
function spread(count: number, seed = 1): number[] {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const last = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  return Array.from({ length: count }, () => Math.floor(next() * next() * last));
}

/** Every boundary where a digit-by-digit calendar goes wrong: month and year ends, leap days, century rules. */
const EDGES = [
  '1970-01-01T00:00:00.000Z',
  '1970-12-31T23:59:59.999Z',
  '1999-12-31T23:59:59.999Z',
  '2000-02-29T12:00:00.000Z',
  '2000-03-01T00:00:00.000Z',
  '2024-02-29T23:59:59.999Z',
  '2025-02-28T23:59:59.999Z',
  '2025-03-01T00:00:00.000Z',
  '2100-02-28T00:00:00.000Z',
  '2100-03-01T00:00:00.000Z',
  '2400-02-29T00:00:00.000Z',
  '2026-11-29T09:30:00.001Z',
  '9999-12-31T23:59:59.999Z',
];

describe('iso', () => {
  it('writes what toISOString writes, at every edge and for 200 000 instants across 1970-9999', () => {
    const instants = [...EDGES.map((e) => Date.parse(e)), ...spread(200_000)];
    // Every day of four years (a leap year and a century) at its first and last millisecond.
    for (const year of [1970, 2000, 2024, 2100]) {
      for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += 86_400_000) instants.push(day, day + 86_399_999);
    }
    const wrong = instants.filter((ms) => iso(ms) !== new Date(ms).toISOString());
    expect(wrong).toEqual([]);
  });

  it('leaves to the builtin what the fast path does not cover: before 1970, after 9999, fractions', () => {
    for (const ms of [-1, -86_400_001, Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(10_000, 0, 1), 1.5, 8.64e15]) {
      expect(iso(ms)).toBe(new Date(ms).toISOString());
    }
    expect(iso(Date.UTC(10_000, 0, 1))).toBe('+010000-01-01T00:00:00.000Z');
  });

  it('throws on an instant that is not there, as toISOString does', () => {
    expect(() => iso(Number.NaN)).toThrow(RangeError);
    expect(() => iso(8.64e15 + 1)).toThrow(RangeError);
  });

  it('isoOrNull: null and undefined stay null', () => {
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(undefined)).toBeNull();
    expect(isoOrNull(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('parseInstant', () => {
  it('reads the canonical form exactly as Date.parse does, with and without milliseconds', () => {
    const texts = [...EDGES, ...spread(200_000, 7).map((ms) => new Date(ms).toISOString())];
    for (const year of [1970, 2000, 2024, 2100]) {
      for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += 86_400_000) {
        texts.push(new Date(day + 86_399_999).toISOString());
      }
    }
    const withoutMs = texts.map((t) => `${t.slice(0, 19)}Z`);
    const wrong = [...texts, ...withoutMs].filter((t) => parseInstant(t) !== Date.parse(t));
    expect(wrong).toEqual([]);
  });

  it('refuses a day the month does not have, and reads every day it has', () => {
    expect(parseInstant('2025-02-29T00:00:00.000Z')).toBeUndefined();
    expect(parseInstant('2100-02-29T00:00:00Z')).toBeUndefined();
    expect(parseInstant('2026-04-31T00:00:00Z')).toBeUndefined();
    expect(parseInstant('2026-13-01T00:00:00Z')).toBeUndefined();
    expect(parseInstant('2026-11-29T24:00:00Z')).toBeUndefined();
    expect(parseInstant('2400-02-29T00:00:00Z')).toBe(Date.UTC(2400, 1, 29));
  });

  it('reads the other ISO 8601 forms the general way: dates alone, offsets, no zone, years before 100', () => {
    expect(parseInstant('2026-11-29')).toBe(Date.UTC(2026, 10, 29));
    expect(parseInstant('2026-11-29T10:00:00+05')).toBe(Date.UTC(2026, 10, 29, 5));
    expect(parseInstant('2026-11-29T10:00:00+0530')).toBe(Date.UTC(2026, 10, 29, 4, 30));
    expect(parseInstant('2026-11-29T10:00:00')).toBe(Date.UTC(2026, 10, 29, 10));
    expect(parseInstant('0099-01-01T00:00:00.000Z')).toBe(new Date(0).setUTCFullYear(99, 0, 1));
    expect(parseInstant('2026-11-29T10:00:00.000z')).toBe(Date.UTC(2026, 10, 29, 10));
    expect(parseInstant('yesterday')).toBeUndefined();
    expect(parseInstant('2026-11-2x')).toBeUndefined();
  });
});
