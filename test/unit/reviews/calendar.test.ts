// Calendar dates in a tenant's time zone (src/reviews/calendar.ts): the date an
// instant falls on, the first instant of a date across changes of clocks
// (including the zones where midnight is skipped or happens twice), date
// arithmetic across month, year and leap-year ends, and what counts as a date.
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, isCalendarDate, localDate, startOfDay } from '../../../src/reviews/calendar.js';

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

describe('localDate', () => {
  it.each([
    // One instant, four dates: the tenant's zone decides which day it is.
    ['2026-06-30T23:30:00Z', 'UTC', '2026-06-30'],
    ['2026-06-30T23:30:00Z', 'Europe/London', '2026-07-01'], // BST, UTC+1
    ['2026-06-30T23:30:00Z', 'America/New_York', '2026-06-30'],
    ['2026-06-30T13:59:59Z', 'Australia/Sydney', '2026-06-30'], // AEST, UTC+10
    ['2026-06-30T14:00:00Z', 'Australia/Sydney', '2026-07-01'],
    ['2026-06-30T11:14:59Z', 'Pacific/Chatham', '2026-06-30'], // UTC+12:45 in winter
    ['2026-06-30T11:15:00Z', 'Pacific/Chatham', '2026-07-01'],
    ['2026-12-31T10:14:59Z', 'Pacific/Chatham', '2026-12-31'], // UTC+13:45 in summer
    ['2026-12-31T10:15:00Z', 'Pacific/Chatham', '2027-01-01'],
    ['2027-01-01T04:59:59Z', 'America/New_York', '2026-12-31'], // EST, UTC-5
    ['2027-01-01T05:00:00Z', 'America/New_York', '2027-01-01'],
    ['2026-12-31T23:59:59.999Z', 'Europe/London', '2026-12-31'], // GMT in winter
    ['2027-01-01T00:00:00Z', 'Europe/London', '2027-01-01'],
  ])('%s in %s is %s', (instant, zone, date) => {
    expect(localDate(at(instant), zone)).toBe(date);
  });

  it('follows the changes of clocks: the same UTC hour is a different local day on either side', () => {
    // New York: 23:30 EST on 7 March is 04:30Z; 23:30 EDT on 8 March is 03:30Z.
    expect(localDate(at('2026-03-08T04:30:00Z'), 'America/New_York')).toBe('2026-03-07');
    expect(localDate(at('2026-03-09T03:30:00Z'), 'America/New_York')).toBe('2026-03-08');
    expect(localDate(at('2026-03-09T04:30:00Z'), 'America/New_York')).toBe('2026-03-09');
    // Sydney's autumn change (AEDT +11 to AEST +10 on 5 April 2026).
    expect(localDate(at('2026-04-04T13:00:00Z'), 'Australia/Sydney')).toBe('2026-04-05');
    expect(localDate(at('2026-04-05T13:59:59Z'), 'Australia/Sydney')).toBe('2026-04-05');
    expect(localDate(at('2026-04-05T14:00:00Z'), 'Australia/Sydney')).toBe('2026-04-06');
  });

  it('pads the year to four digits', () => {
    expect(localDate(at('0999-05-06T12:00:00Z'), 'UTC')).toBe('0999-05-06');
  });
});

describe('startOfDay', () => {
  it.each([
    // Europe/London: spring forward 29 March 2026 01:00 GMT, fall back 25 October 2026 02:00 BST.
    ['2026-03-28', 'Europe/London', '2026-03-28T00:00:00.000Z'],
    ['2026-03-29', 'Europe/London', '2026-03-29T00:00:00.000Z'], // a 23-hour day, still GMT at midnight
    ['2026-03-30', 'Europe/London', '2026-03-29T23:00:00.000Z'],
    ['2026-10-25', 'Europe/London', '2026-10-24T23:00:00.000Z'], // a 25-hour day, still BST at midnight
    ['2026-10-26', 'Europe/London', '2026-10-26T00:00:00.000Z'],
    // Australia/Sydney: AEDT ends 5 April 2026 03:00, AEST ends 4 October 2026 02:00.
    ['2026-04-05', 'Australia/Sydney', '2026-04-04T13:00:00.000Z'],
    ['2026-04-06', 'Australia/Sydney', '2026-04-05T14:00:00.000Z'],
    ['2026-10-04', 'Australia/Sydney', '2026-10-03T14:00:00.000Z'],
    ['2026-10-05', 'Australia/Sydney', '2026-10-04T13:00:00.000Z'],
    // America/New_York: EDT from 8 March 2026 02:00, EST from 1 November 2026 02:00.
    ['2026-03-08', 'America/New_York', '2026-03-08T05:00:00.000Z'],
    ['2026-03-09', 'America/New_York', '2026-03-09T04:00:00.000Z'],
    ['2026-11-01', 'America/New_York', '2026-11-01T04:00:00.000Z'],
    ['2026-11-02', 'America/New_York', '2026-11-02T05:00:00.000Z'],
    // Pacific/Chatham, a quarter-hour zone: +13:45 until 5 April 2026 03:45, +12:45 until 27 September 02:45.
    ['2026-04-05', 'Pacific/Chatham', '2026-04-04T10:15:00.000Z'],
    ['2026-04-06', 'Pacific/Chatham', '2026-04-05T11:15:00.000Z'],
    ['2026-09-27', 'Pacific/Chatham', '2026-09-26T11:15:00.000Z'],
    ['2026-09-28', 'Pacific/Chatham', '2026-09-27T10:15:00.000Z'],
    ['2027-01-01', 'Pacific/Chatham', '2026-12-31T10:15:00.000Z'],
    ['2026-07-01', 'UTC', '2026-07-01T00:00:00.000Z'],
  ])('%s in %s begins at %s', (date, zone, instant) => {
    expect(startOfDay(date, zone).toISOString()).toBe(instant);
  });

  it.each([
    // Midnight does not exist: the clocks go from 23:59:59 to 01:00, so the day begins at 01:00.
    ['2026-09-06', 'America/Santiago', '2026-09-06T04:00:00.000Z'],
    ['2026-03-08', 'America/Havana', '2026-03-08T05:00:00.000Z'],
    ['2026-03-29', 'Asia/Beirut', '2026-03-28T22:00:00.000Z'],
    ['2022-03-27', 'Atlantic/Azores', '2022-03-27T01:00:00.000Z'],
    // Midnight happens twice (01:00 back to 00:00): the day begins at the first one.
    ['2020-10-30', 'Asia/Amman', '2020-10-29T21:00:00.000Z'],
  ])('%s in %s, where midnight is skipped or repeated, begins at its first instant %s', (date, zone, instant) => {
    expect(startOfDay(date, zone).toISOString()).toBe(instant);
  });

  const zones = ['Europe/London', 'Australia/Sydney', 'America/New_York', 'Pacific/Chatham', 'America/Santiago', 'Asia/Amman', 'UTC'];
  it.each(zones)('is the first instant of every day of 2025 and 2026 in %s', (zone) => {
    const wrong: string[] = [];
    for (let date = '2025-01-01'; date !== '2027-01-01'; date = addDays(date, 1)) {
      const start = startOfDay(date, zone);
      if (localDate(start, zone) !== date || localDate(new Date(start.getTime() - 1), zone) !== addDays(date, -1)) wrong.push(`${date}: ${start.toISOString()}`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives days of 23 and 25 hours on the days the clocks change, 24 otherwise', () => {
    const hours = (date: string, zone: string) => (startOfDay(addDays(date, 1), zone).getTime() - startOfDay(date, zone).getTime()) / HOUR;
    expect(hours('2026-03-29', 'Europe/London')).toBe(23);
    expect(hours('2026-10-25', 'Europe/London')).toBe(25);
    expect(hours('2026-10-04', 'Australia/Sydney')).toBe(23);
    expect(hours('2026-04-05', 'Australia/Sydney')).toBe(25);
    expect(hours('2026-03-08', 'America/New_York')).toBe(23);
    expect(hours('2026-11-01', 'America/New_York')).toBe(25);
    expect(hours('2026-09-27', 'Pacific/Chatham')).toBe(23);
    expect(hours('2026-04-05', 'Pacific/Chatham')).toBe(25);
    expect(hours('2026-09-06', 'America/Santiago')).toBe(23);
    expect(hours('2026-06-15', 'Pacific/Chatham')).toBe(24);
  });
});

describe('addDays', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-01'],
    ['2026-02-28', 1, '2026-03-01'], // not a leap year
    ['2028-02-28', 1, '2028-02-29'], // a leap year
    ['2028-02-29', 1, '2028-03-01'],
    ['2100-02-28', 1, '2100-03-01'], // divisible by 100: not a leap year
    ['2000-02-28', 1, '2000-02-29'], // divisible by 400: a leap year
    ['2026-12-31', 1, '2027-01-01'],
    ['2027-01-01', -1, '2026-12-31'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2024-03-01', -1, '2024-02-29'],
    ['2026-12-20', 14, '2027-01-03'],
    ['2026-02-20', 14, '2026-03-06'],
    ['2028-02-20', 14, '2028-03-05'],
    ['2026-01-01', 365, '2027-01-01'],
    ['2028-01-01', 365, '2028-12-31'],
    ['2026-03-29', 0, '2026-03-29'],
    ['2026-05-10', -40, '2026-03-31'],
    ['0050-01-01', 1, '0050-01-02'], // years below 100 are not 19xx
    ['0001-01-01', -1, '0000-12-31'],
  ])('%s plus %i days is %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('agrees with daysBetween in both directions', () => {
    for (const n of [-400, -29, -1, 0, 1, 13, 14, 28, 366]) {
      expect(daysBetween('2028-02-15', addDays('2028-02-15', n))).toBe(n);
      expect(daysBetween(addDays('2028-02-15', n), '2028-02-15') + n).toBe(0);
    }
  });
});

describe('daysBetween', () => {
  it.each([
    ['2026-01-01', '2026-01-15', 14],
    ['2026-01-15', '2026-01-01', -14],
    ['2026-02-27', '2026-03-01', 2],
    ['2028-02-27', '2028-03-01', 3],
    ['2026-12-31', '2027-01-01', 1],
    ['2026-03-28', '2026-03-30', 2], // across London's change of clocks: dates, not hours
    ['2026-05-05', '2026-05-05', 0],
  ])('from %s to %s is %d', (from, to, n) => {
    expect(daysBetween(from, to)).toBe(n);
  });
});

describe('isCalendarDate', () => {
  it.each(['2026-01-01', '2026-12-31', '2028-02-29', '2000-02-29', '2026-04-30', '0050-06-15', '9999-12-31'])('%s is a date', (text) => {
    expect(isCalendarDate(text)).toBe(true);
  });

  it.each([
    '2026-02-29', // not a leap year
    '2100-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-32',
    '2026-1-01',
    '2026-01-1',
    '26-01-01',
    '2026/01/01',
    '2026-01-01T00:00:00Z',
    ' 2026-01-01',
    '2026-01-01 ',
    '',
    'tomorrow',
    '+02026-01-01',
  ])('%j is not', (text) => {
    expect(isCalendarDate(text)).toBe(false);
  });
});
