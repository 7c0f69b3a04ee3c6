// The reminder and escalation schedule (src/reviews/reminder-schedule.ts) with
// a controlled clock: the day is an argument, so every stage is checked on the
// very day it falls, the days between, the short and long campaigns, a grace
// period of none, and a worker that missed days.
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween } from '../../../src/reviews/calendar.js';
import { closeOn, noticesOn, reminderStages, type CampaignDates, type NoticesToday } from '../../../src/reviews/reminder-schedule.js';

/** A campaign opened on Monday 5 January 2026, due `dueIn` days later. */
const campaign = (dueIn: number, graceDays: number, openedOn = '2026-01-05'): CampaignDates => ({ openedOn, dueOn: addDays(openedOn, dueIn), graceDays });

/** `[stage, date]` pairs, easier to read in a failure than objects. */
const pairs = (c: CampaignDates) => reminderStages(c).map((s) => [s.stage, s.on]);

describe('reminderStages', () => {
  it('a default campaign (due in 14 days, grace 3): opening, one weekly, due-3, due-1, due, three overdue', () => {
    expect(pairs(campaign(14, 3))).toEqual([
      ['opening', '2026-01-05'],
      ['weekly-1', '2026-01-12'],
      ['due-3', '2026-01-16'],
      ['due-1', '2026-01-18'],
      ['due', '2026-01-19'],
      ['overdue-1', '2026-01-20'],
      ['overdue-2', '2026-01-21'],
      ['overdue-3', '2026-01-22'],
    ]);
    expect(closeOn(campaign(14, 3))).toBe('2026-01-23');
  });

  it('a long campaign has a weekly reminder every 7 days while before the 3-days mark', () => {
    expect(pairs(campaign(42, 2))).toEqual([
      ['opening', '2026-01-05'],
      ['weekly-1', '2026-01-12'],
      ['weekly-2', '2026-01-19'],
      ['weekly-3', '2026-01-26'],
      ['weekly-4', '2026-02-02'],
      ['weekly-5', '2026-02-09'],
      ['due-3', '2026-02-13'],
      ['due-1', '2026-02-15'],
      ['due', '2026-02-16'],
      ['overdue-1', '2026-02-17'],
      ['overdue-2', '2026-02-18'],
    ]);
  });

  it('a weekly that would fall on or after the 3-days mark gives way to due-3', () => {
    // Due in 17 days: weekly-2 would be on the 14th day, the very day of due-3.
    expect(pairs(campaign(17, 0)).map(([s]) => s)).toEqual(['opening', 'weekly-1', 'due-3', 'due-1', 'due']);
    expect(reminderStages(campaign(17, 0)).find((s) => s.stage === 'due-3')?.on).toBe(addDays('2026-01-05', 14));
    // Due in 16 days: weekly-2 (day 14) would fall after due-3 (day 13).
    expect(pairs(campaign(16, 0)).map(([s]) => s)).toEqual(['opening', 'weekly-1', 'due-3', 'due-1', 'due']);
    // Due in 18 days: weekly-2 (day 14) is the day before due-3 (day 15), so both.
    expect(pairs(campaign(18, 0)).map(([s]) => s)).toEqual(['opening', 'weekly-1', 'weekly-2', 'due-3', 'due-1', 'due']);
    // Due in 10 days: weekly-1 (day 7) is due-3's day.
    expect(pairs(campaign(10, 0)).map(([s]) => s)).toEqual(['opening', 'due-3', 'due-1', 'due']);
    // Due in 11 days: weekly-1 (day 7) is the day before due-3 (day 8).
    expect(pairs(campaign(11, 0)).map(([s]) => s)).toEqual(['opening', 'weekly-1', 'due-3', 'due-1', 'due']);
  });

  it.each([
    // Stages that would fall on or before the opening day are skipped: the opening reminder already went.
    [0, [['opening', '2026-01-05'], ['overdue-1', '2026-01-06'], ['overdue-2', '2026-01-07']]],
    [1, [['opening', '2026-01-05'], ['due', '2026-01-06'], ['overdue-1', '2026-01-07'], ['overdue-2', '2026-01-08']]],
    [2, [['opening', '2026-01-05'], ['due-1', '2026-01-06'], ['due', '2026-01-07'], ['overdue-1', '2026-01-08'], ['overdue-2', '2026-01-09']]],
    [3, [['opening', '2026-01-05'], ['due-1', '2026-01-07'], ['due', '2026-01-08'], ['overdue-1', '2026-01-09'], ['overdue-2', '2026-01-10']]],
    [4, [['opening', '2026-01-05'], ['due-3', '2026-01-06'], ['due-1', '2026-01-08'], ['due', '2026-01-09'], ['overdue-1', '2026-01-10'], ['overdue-2', '2026-01-11']]],
  ])('a campaign due in %i day(s), grace 2: %j', (dueIn, expected) => {
    expect(pairs(campaign(dueIn, 2))).toEqual(expected);
  });

  it('grace 0: nothing after the due date, and it closes the next day', () => {
    const c = campaign(14, 0);
    expect(pairs(c).at(-1)).toEqual(['due', '2026-01-19']);
    expect(pairs(c).some(([s]) => s?.startsWith('overdue'))).toBe(false);
    expect(closeOn(c)).toBe('2026-01-20');
  });

  it('counts dates, not hours, across month, year and leap-day ends', () => {
    expect(pairs(campaign(14, 1, '2026-12-21'))).toEqual([
      ['opening', '2026-12-21'],
      ['weekly-1', '2026-12-28'],
      ['due-3', '2027-01-01'],
      ['due-1', '2027-01-03'],
      ['due', '2027-01-04'],
      ['overdue-1', '2027-01-05'],
    ]);
    expect(closeOn(campaign(14, 1, '2026-12-21'))).toBe('2027-01-06');
    expect(pairs(campaign(14, 2, '2028-02-20'))).toEqual([
      ['opening', '2028-02-20'],
      ['weekly-1', '2028-02-27'],
      ['due-3', '2028-03-02'],
      ['due-1', '2028-03-04'],
      ['due', '2028-03-05'],
      ['overdue-1', '2028-03-06'],
      ['overdue-2', '2028-03-07'],
    ]);
    expect(reminderStages(campaign(3, 1, '2028-02-27')).map((s) => s.on)).toEqual(['2028-02-27', '2028-02-29', '2028-03-01', '2028-03-02']);
  });

  it('for every length and grace: dates strictly increase, keys are unique, all fall between the opening and the closing day', () => {
    for (let dueIn = 0; dueIn <= 60; dueIn++) {
      for (const grace of [0, 1, 3, 7]) {
        const c = campaign(dueIn, grace);
        const stages = reminderStages(c);
        expect(stages[0]).toEqual({ stage: 'opening', on: c.openedOn });
        expect(new Set(stages.map((s) => s.stage)).size).toBe(stages.length);
        for (let i = 1; i < stages.length; i++) expect(daysBetween(stages[i - 1]!.on, stages[i]!.on), `${dueIn}/${grace} ${stages[i]!.stage}`).toBeGreaterThan(0);
        expect(daysBetween(stages.at(-1)!.on, closeOn(c))).toBe(1);
        // The due-day stages: present exactly when they fall after the opening day.
        for (const [stage, before] of [['due-3', 3], ['due-1', 1], ['due', 0]] as const) {
          expect(stages.some((s) => s.stage === stage), `${stage} when due in ${dueIn}`).toBe(dueIn - before > 0);
        }
        expect(stages.filter((s) => s.stage.startsWith('overdue-')).length).toBe(grace);
        expect(stages.filter((s) => s.stage.startsWith('weekly-')).length).toBe(Math.max(0, Math.ceil((dueIn - 3) / 7) - 1));
      }
    }
  });
});

describe('closeOn', () => {
  it.each([
    [14, 3, '2026-01-23'],
    [14, 0, '2026-01-20'],
    [0, 0, '2026-01-06'],
    [1, 7, '2026-01-14'],
  ])('due in %i days with grace %i closes on %s', (dueIn, grace, expected) => {
    expect(closeOn(campaign(dueIn, grace))).toBe(expected);
  });
});

describe('noticesOn', () => {
  const none: NoticesToday = { reminder: null, escalate: false, close: false };
  const closing: NoticesToday = { reminder: null, escalate: false, close: true };
  const remind = (stage: string, on: string, escalate = false): NoticesToday => ({ reminder: { stage, on }, escalate, close: false });

  // Every day of a default campaign: opened Monday 5 January 2026, due 19 January, grace 3.
  // Between stages, the latest stage is answered again: the job keys (stage, reviewer) in the ledger, so it is sent once.
  const c = campaign(14, 3);
  it.each<[string, NoticesToday]>([
    ['2026-01-03', none],
    ['2026-01-04', none],
    ['2026-01-05', remind('opening', '2026-01-05')],
    ['2026-01-06', remind('opening', '2026-01-05')],
    ['2026-01-07', remind('opening', '2026-01-05')],
    ['2026-01-08', remind('opening', '2026-01-05')],
    ['2026-01-09', remind('opening', '2026-01-05')],
    ['2026-01-10', remind('opening', '2026-01-05')],
    ['2026-01-11', remind('opening', '2026-01-05')],
    ['2026-01-12', remind('weekly-1', '2026-01-12')],
    ['2026-01-13', remind('weekly-1', '2026-01-12')],
    ['2026-01-14', remind('weekly-1', '2026-01-12')],
    ['2026-01-15', remind('weekly-1', '2026-01-12')],
    ['2026-01-16', remind('due-3', '2026-01-16')],
    ['2026-01-17', remind('due-3', '2026-01-16')],
    ['2026-01-18', remind('due-1', '2026-01-18')],
    ['2026-01-19', remind('due', '2026-01-19')],
    ['2026-01-20', remind('overdue-1', '2026-01-20', true)],
    ['2026-01-21', remind('overdue-2', '2026-01-21', true)],
    ['2026-01-22', remind('overdue-3', '2026-01-22', true)],
    ['2026-01-23', closing], // closes: no reminder, and no escalation (the closing email reports)
    ['2026-01-24', closing],
    ['2026-02-20', closing],
  ])('on %s', (today, expected) => {
    expect(noticesOn(c, today)).toEqual(expected);
  });

  it('escalates from the first overdue day until the day before closing, never before the due date passes', () => {
    const escalated: string[] = [];
    for (let day = addDays(c.openedOn, -2); day !== addDays(closeOn(c), 3); day = addDays(day, 1)) if (noticesOn(c, day).escalate) escalated.push(day);
    expect(escalated).toEqual(['2026-01-20', '2026-01-21', '2026-01-22']);
  });

  it('grace 0: the due date reminds without escalating, and the next day closes without escalating', () => {
    const c0 = campaign(14, 0);
    expect(noticesOn(c0, '2026-01-19')).toEqual(remind('due', '2026-01-19'));
    expect(noticesOn(c0, '2026-01-20')).toEqual(closing);
    for (let day = '2026-01-01'; day !== '2026-02-01'; day = addDays(day, 1)) expect(noticesOn(c0, day).escalate, day).toBe(false);
  });

  it('grace 1: one overdue day, escalated, then closing', () => {
    const c1 = campaign(14, 1);
    expect(noticesOn(c1, '2026-01-20')).toEqual(remind('overdue-1', '2026-01-20', true));
    expect(noticesOn(c1, '2026-01-21')).toEqual(closing);
  });

  it('a worker that missed days sends only the latest stage, not the ones it missed', () => {
    // Last ran on the 11th; next run on the due date: due-3 and due-1 were missed.
    expect(noticesOn(c, '2026-01-19')).toEqual(remind('due', '2026-01-19'));
    // Missed the whole end of the campaign until its second overdue day: one reminder, and the escalation.
    expect(noticesOn(c, '2026-01-21')).toEqual(remind('overdue-2', '2026-01-21', true));
    // Missed past the closing day: it closes.
    expect(noticesOn(c, '2026-01-30')).toEqual(closing);
  });

  it('a short campaign due the day after opening: opening, due, overdue with escalation, close', () => {
    const short = campaign(1, 1);
    expect(noticesOn(short, '2026-01-05')).toEqual(remind('opening', '2026-01-05'));
    expect(noticesOn(short, '2026-01-06')).toEqual(remind('due', '2026-01-06'));
    expect(noticesOn(short, '2026-01-07')).toEqual(remind('overdue-1', '2026-01-07', true));
    expect(noticesOn(short, '2026-01-08')).toEqual(closing);
  });

  it('a campaign due on its opening day: the opening reminder, then overdue the next day', () => {
    const same = campaign(0, 2);
    expect(noticesOn(same, '2026-01-05')).toEqual(remind('opening', '2026-01-05'));
    expect(noticesOn(same, '2026-01-06')).toEqual(remind('overdue-1', '2026-01-06', true));
    expect(noticesOn(same, '2026-01-08')).toEqual(closing);
  });

  it('on each stage’s own day, answers that stage (long campaign)', () => {
    const long = campaign(42, 2);
    for (const s of reminderStages(long)) expect(noticesOn(long, s.on).reminder, s.stage).toEqual(s);
  });
});
