// When the access-review job opens the quarter's campaign: the first Monday of
// each quarter's first month, in the tenant's date, or the first run after it
// when the quarter has no campaign and none is open.
import { describe, expect, it } from 'vitest';
import { quarterOf } from '../../../src/reviews/open-campaign.js';
import { firstMondayOf, quarterlyVerdict, quarterStart, type LatestCampaign } from '../../../src/reviews/quarterly-campaign.js';

describe('firstMondayOf', () => {
  it.each([
    // Read off a calendar: each weekday the 1st can fall on.
    [2027, 1, '2027-01-04'], // Friday the 1st
    [2027, 4, '2027-04-05'], // Thursday
    [2027, 7, '2027-07-05'], // Thursday
    [2027, 10, '2027-10-04'], // Friday
    [2026, 6, '2026-06-01'], // Monday: the 1st itself
    [2026, 3, '2026-03-02'], // Sunday
    [2026, 9, '2026-09-07'], // Tuesday: the 7th, the latest it can be
    [2028, 2, '2028-02-07'], // Tuesday, in a leap year
    [2026, 7, '2026-07-06'], // Wednesday
    [2027, 5, '2027-05-03'], // Saturday
  ])('%i-%i → %s', (year, month, monday) => {
    expect(firstMondayOf(year, month)).toBe(monday);
    expect(new Date(`${monday}T12:00:00Z`).getUTCDay()).toBe(1);
  });
});

describe('quarterStart', () => {
  it('names the quarter as quarterOf does, and its first Monday in its first month', () => {
    for (const [date, period, monday] of [
      ['2027-01-01', '2027-Q1', '2027-01-04'],
      ['2027-03-31', '2027-Q1', '2027-01-04'],
      ['2027-04-01', '2027-Q2', '2027-04-05'],
      ['2027-08-15', '2027-Q3', '2027-07-05'],
      ['2027-12-31', '2027-Q4', '2027-10-04'],
    ] as const) {
      expect(quarterStart(date)).toEqual({ period, firstMonday: monday });
      expect(quarterOf(new Date(`${date}T12:00:00Z`), 'UTC')).toBe(period);
    }
  });
});

describe('quarterlyVerdict', () => {
  const closed = (over: Partial<LatestCampaign>): LatestCampaign => ({ id: 7, period: '2026-Q4', openedOn: '2026-10-05', status: 'closed', ...over });

  it('waits for the first Monday, then opens the quarter with no campaign', () => {
    expect(quarterlyVerdict('2027-01-01', closed({}))).toMatchObject({ open: false, reason: 'before_first_monday', period: '2027-Q1' });
    expect(quarterlyVerdict('2027-01-03', undefined)).toMatchObject({ open: false, reason: 'before_first_monday' });
    expect(quarterlyVerdict('2027-01-04', closed({}))).toEqual({ open: true, period: '2027-Q1' });
    expect(quarterlyVerdict('2027-01-04', undefined)).toEqual({ open: true, period: '2027-Q1' });
    // A first Monday missed (the worker down): the next morning opens it.
    expect(quarterlyVerdict('2027-01-05', closed({}))).toEqual({ open: true, period: '2027-Q1' });
  });

  it('opens one per quarter: the schedule’s own, or one opened by hand in the quarter, counts', () => {
    expect(quarterlyVerdict('2027-01-05', closed({ id: 8, period: '2027-Q1', openedOn: '2027-01-04' }))).toMatchObject({ open: false, reason: 'reviewed', campaign: 8 });
    expect(quarterlyVerdict('2027-01-05', closed({ id: 8, period: '2027-Q1', openedOn: '2027-01-04', status: 'open' }))).toMatchObject({ open: false, reason: 'reviewed', campaign: 8 });
    // By hand on the 2nd, before the first Monday, and closed since: the quarter is reviewed.
    expect(quarterlyVerdict('2027-01-04', closed({ id: 9, period: null, openedOn: '2027-01-02' }))).toMatchObject({ open: false, reason: 'reviewed', campaign: 9 });
    // By hand in the previous quarter: it does not count for this one.
    expect(quarterlyVerdict('2027-01-04', closed({ id: 9, period: null, openedOn: '2026-12-20' }))).toEqual({ open: true, period: '2027-Q1' });
  });

  it('skips while a campaign of an earlier quarter is still open, and opens once it is closed', () => {
    const verdict = quarterlyVerdict('2027-04-05', closed({ id: 11, period: null, openedOn: '2027-03-20', status: 'open' }));
    expect(verdict).toMatchObject({ open: false, reason: 'campaign_open', campaign: 11, period: '2027-Q2' });
    expect(verdict.open ? '' : verdict.why).toContain('#11 is still open');
    expect(quarterlyVerdict('2027-04-05', closed({ id: 11, period: null, openedOn: '2027-03-20', status: 'closing' }))).toMatchObject({ reason: 'campaign_open' });
    expect(quarterlyVerdict('2027-04-09', closed({ id: 11, period: null, openedOn: '2027-03-20' }))).toEqual({ open: true, period: '2027-Q2' });
  });
});
