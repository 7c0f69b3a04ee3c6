import { describe, expect, it } from 'vitest';
import { addCalendarMonths, erasureDeadline, MAX_EXTENSION_MONTHS } from '../../../src/erasure/deadline.js';

const at = (iso: string) => new Date(iso);
const due = (received: string, extended?: number) => erasureDeadline(at(received), extended).toISOString();

describe('erasureDeadline: one calendar month from receipt (GDPR Art. 12(3))', () => {
  it('falls on the same day of the next month when that month has it', () => {
    expect(due('2025-03-05T10:00:00.000Z')).toBe('2025-04-05T10:00:00.000Z');
    expect(due('2025-04-30T00:00:00.000Z')).toBe('2025-05-30T00:00:00.000Z');
    // A 30-day month received on its last day: the 31-day month after keeps the 30th, it does not move to the 31st.
    expect(due('2025-11-30T12:00:00.000Z')).toBe('2025-12-30T12:00:00.000Z');
    expect(due('2025-07-31T08:00:00.000Z')).toBe('2025-08-31T08:00:00.000Z');
  });

  it('falls back to the last day of a shorter month', () => {
    expect(due('2025-01-31T09:00:00.000Z')).toBe('2025-02-28T09:00:00.000Z');
    expect(due('2025-01-29T09:00:00.000Z')).toBe('2025-02-28T09:00:00.000Z');
    expect(due('2025-01-28T09:00:00.000Z')).toBe('2025-02-28T09:00:00.000Z');
    expect(due('2025-03-31T09:00:00.000Z')).toBe('2025-04-30T09:00:00.000Z');
    expect(due('2025-05-31T09:00:00.000Z')).toBe('2025-06-30T09:00:00.000Z');
    expect(due('2025-08-31T09:00:00.000Z')).toBe('2025-09-30T09:00:00.000Z');
    expect(due('2025-10-31T09:00:00.000Z')).toBe('2025-11-30T09:00:00.000Z');
  });

  it('knows leap years: 29 February in 2024 and 2000, not in 2025 nor 2100', () => {
    expect(due('2024-01-31T09:00:00.000Z')).toBe('2024-02-29T09:00:00.000Z');
    expect(due('2024-01-30T09:00:00.000Z')).toBe('2024-02-29T09:00:00.000Z');
    expect(due('2024-01-29T09:00:00.000Z')).toBe('2024-02-29T09:00:00.000Z');
    expect(due('2000-01-31T09:00:00.000Z')).toBe('2000-02-29T09:00:00.000Z');
    expect(due('2100-01-31T09:00:00.000Z')).toBe('2100-02-28T09:00:00.000Z');
    // Received on 29 February: due on 29 March.
    expect(due('2024-02-29T09:00:00.000Z')).toBe('2024-03-29T09:00:00.000Z');
  });

  it('crosses the year', () => {
    expect(due('2025-12-31T23:00:00.000Z')).toBe('2026-01-31T23:00:00.000Z');
    expect(due('2025-12-15T00:00:00.000Z')).toBe('2026-01-15T00:00:00.000Z');
  });

  it('keeps the time of day to the millisecond, counted on the UTC calendar', () => {
    expect(due('2025-01-31T23:59:59.999Z')).toBe('2025-02-28T23:59:59.999Z');
    expect(due('2025-06-15T00:00:00.001Z')).toBe('2025-07-15T00:00:00.001Z');
    // 31 Jan 23:30 UTC is 1 Feb in Sydney; the count is UTC's, whatever the process's zone.
    expect(due('2025-01-31T23:30:00.000Z')).toBe('2025-02-28T23:30:00.000Z');
  });

  it('an extension of 1 or 2 further months counts from receipt, with the same fallback', () => {
    expect(MAX_EXTENSION_MONTHS).toBe(2);
    expect(due('2025-01-31T09:00:00.000Z', 0)).toBe('2025-02-28T09:00:00.000Z');
    expect(due('2025-01-31T09:00:00.000Z', 1)).toBe('2025-03-31T09:00:00.000Z');
    expect(due('2025-01-31T09:00:00.000Z', 2)).toBe('2025-04-30T09:00:00.000Z');
    expect(due('2023-11-30T09:00:00.000Z', 2)).toBe('2024-02-29T09:00:00.000Z');
    expect(due('2024-11-30T09:00:00.000Z', 2)).toBe('2025-02-28T09:00:00.000Z');
    expect(due('2025-11-30T09:00:00.000Z', 1)).toBe('2026-01-30T09:00:00.000Z');
    expect(due('2025-10-31T09:00:00.000Z', 2)).toBe('2026-01-31T09:00:00.000Z');
  });

  it('the unextended deadline is never later than the extended one, and each is after receipt, for every day of four years', () => {
    for (let t = Date.UTC(2023, 0, 1, 13, 14, 15); t < Date.UTC(2027, 0, 1); t += 86_400_000) {
      const received = new Date(t);
      const one = erasureDeadline(received);
      const two = erasureDeadline(received, 1);
      const three = erasureDeadline(received, 2);
      expect(one.getTime()).toBeGreaterThan(received.getTime());
      expect(two.getTime()).toBeGreaterThan(one.getTime());
      expect(three.getTime()).toBeGreaterThan(two.getTime());
      // Never more than 31 days per month counted, never fewer than 28.
      expect((one.getTime() - t) / 86_400_000).toBeGreaterThanOrEqual(28);
      expect((one.getTime() - t) / 86_400_000).toBeLessThanOrEqual(31);
      expect(one.getUTCHours()).toBe(13);
      expect(one.getUTCDate()).toBe(Math.min(received.getUTCDate(), new Date(Date.UTC(received.getUTCFullYear(), received.getUTCMonth() + 2, 0)).getUTCDate()));
    }
  });
});

describe('addCalendarMonths', () => {
  it('adds 12 months as a year and 0 as nothing', () => {
    expect(addCalendarMonths(at('2024-02-29T01:02:03.004Z'), 12).toISOString()).toBe('2025-02-28T01:02:03.004Z');
    expect(addCalendarMonths(at('2024-02-29T01:02:03.004Z'), 48).toISOString()).toBe('2028-02-29T01:02:03.004Z');
    expect(addCalendarMonths(at('2025-05-31T00:00:00.000Z'), 0).toISOString()).toBe('2025-05-31T00:00:00.000Z');
  });
});
