/**
 * When a campaign's reviewers are reminded and its compliance officers told
 * it is overdue (docs/architecture.md "Access reviews"), as a pure function
 * of the campaign's dates and today's date in the tenant's time zone, so that
 * the schedule is tested with a controlled clock:
 *
 * - `opening` on the day it opens;
 * - `weekly-1`, `weekly-2`, … every 7 days after, while before the 3-days mark;
 * - `due-3` and `due-1`, 3 days and 1 day before the due date (when after the opening day);
 * - `due` on the due date;
 * - `overdue-1`, `overdue-2`, … daily after it, through the grace period;
 * - `escalation` once, to the compliance officers, from the first overdue day;
 * - at the due date plus the grace period the campaign closes (`closeOn`).
 *
 * A run that missed days sends only the latest reminder (a late worker does
 * not send a week of them at once). Each reminder goes only to reviewers with
 * undecided items at the moment it is sent; the job keys each (stage,
 * reviewer) in the ledger, so a second run the same day sends nothing.
 */
import { addDays, daysBetween } from './calendar.js';

export interface CampaignDates {
  /** The opening date in the tenant's time zone. */
  openedOn: string;
  dueOn: string;
  graceDays: number;
}

export interface ReminderStage {
  /** `opening`, `weekly-2`, `due-3`, `due`, `overdue-1`…: the key of the reminder in the ledger. */
  stage: string;
  /** The day it belongs to. */
  on: string;
}

/** Every reminder stage of a campaign, in date order. */
export function reminderStages(c: CampaignDates): ReminderStage[] {
  const stages: ReminderStage[] = [{ stage: 'opening', on: c.openedOn }];
  const threeBefore = addDays(c.dueOn, -3);
  for (let k = 1; daysBetween(addDays(c.openedOn, 7 * k), threeBefore) > 0; k++) stages.push({ stage: `weekly-${k}`, on: addDays(c.openedOn, 7 * k) });
  for (const [stage, on] of [
    ['due-3', threeBefore],
    ['due-1', addDays(c.dueOn, -1)],
    ['due', c.dueOn],
  ] as const) {
    if (daysBetween(c.openedOn, on) > 0) stages.push({ stage, on });
  }
  for (let k = 1; k <= c.graceDays; k++) stages.push({ stage: `overdue-${k}`, on: addDays(c.dueOn, k) });
  return stages;
}

/** The day the campaign closes on its own: the due date plus the grace period, the day after the last overdue reminder. */
export function closeOn(c: CampaignDates): string {
  return addDays(c.dueOn, c.graceDays + 1);
}

export interface NoticesToday {
  /** The reminder to send today, when one is due (the latest stage on or before today). */
  reminder: ReminderStage | null;
  /** Whether the compliance officers must hear the campaign is overdue (sent once: the job keys it). */
  escalate: boolean;
  /** Whether the campaign must close today. */
  close: boolean;
}

/** What is due on `today` for a campaign still open. */
export function noticesOn(c: CampaignDates, today: string): NoticesToday {
  // The closing email reports what was left undecided: no escalation on the day it closes.
  if (daysBetween(closeOn(c), today) >= 0) return { reminder: null, escalate: false, close: true };
  const due = reminderStages(c).filter((s) => daysBetween(s.on, today) >= 0);
  return { reminder: due.at(-1) ?? null, escalate: daysBetween(c.dueOn, today) > 0, close: false };
}
