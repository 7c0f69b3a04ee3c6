/**
 * When the `access-review` job opens the tenant's quarterly campaign
 * (docs/architecture.md "Access reviews"): on the first Monday of January,
 * April, July and October in the tenant's time zone, or on the first run after
 * it when that one was missed.
 *
 * Cron cannot say "the first Monday" (a day of the month and a day of the week
 * in one pattern fire on either), so the job runs every morning of the
 * quarter's first month and this decides, from the tenant's date and the
 * tenant's latest campaign:
 *
 * - before the quarter's first Monday: nothing yet;
 * - the quarter already has its campaign (the schedule's, keyed by its
 *   quarter, or one opened by hand during the quarter, which serves as its
 *   review): nothing (so a schedule that fires twice opens one);
 * - a campaign is still open (one per tenant at a time): nothing, and the
 *   reason is logged; the next morning tries again, so the quarter's
 *   campaign opens the first morning after that one closes;
 * - otherwise: open it, keyed `2027-Q1`. Two runs racing both decide to open;
 *   the ledger's unique key lets one win, and the other reports the quarter
 *   reviewed.
 */
import type { ReviewCampaign, Tenant } from '../db/database.js';
import { CampaignConflictError, listCampaigns } from '../db/reviews.repository.js';
import { addDays, localDate } from './calendar.js';
import { openCampaign, type OpenCampaignDeps } from './open-campaign.js';

/** The months whose first Monday opens a quarter's campaign. */
export const QUARTER_MONTHS = [1, 4, 7, 10] as const;

/** The first Monday of `month` (1–12) of `year`, `YYYY-MM-DD`. */
export function firstMondayOf(year: number, month: number): string {
  const first = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01`;
  const weekday = new Date(`${first}T00:00:00Z`).getUTCDay();
  // Sunday 0 … Saturday 6: days from the 1st to its first Monday.
  return addDays(first, (8 - weekday) % 7);
}

/** The quarter of a date and the first Monday its campaign opens on. */
export function quarterStart(date: string): { period: string; firstMonday: string } {
  const [year, month] = date.split('-').map(Number) as [number, number];
  const quarter = Math.floor((month - 1) / 3);
  return { period: `${year}-Q${quarter + 1}`, firstMonday: firstMondayOf(year, QUARTER_MONTHS[quarter]!) };
}

/** The tenant's latest campaign as the decision reads it. */
export interface LatestCampaign {
  id: number;
  period: string | null;
  /** Its opening date in the tenant's time zone. */
  openedOn: string;
  status: ReviewCampaign['status'];
}

export type QuarterlyVerdict =
  | { open: true; period: string }
  | {
      open: false;
      period: string;
      reason: 'before_first_monday' | 'reviewed' | 'campaign_open';
      /** The campaign that makes it so, when one does. */
      campaign: number | null;
      /** One line for the log. */
      why: string;
    };

/** Whether the quarterly campaign opens on `today` (the tenant's date), given the tenant's latest campaign. */
export function quarterlyVerdict(today: string, latest: LatestCampaign | undefined): QuarterlyVerdict {
  const { period, firstMonday } = quarterStart(today);
  if (today < firstMonday) return { open: false, period, reason: 'before_first_monday', campaign: null, why: `the quarter's campaign opens on its first Monday, ${firstMonday}` };
  if (latest !== undefined && (latest.period === period || quarterStart(latest.openedOn).period === period)) {
    const how = latest.period === period ? 'the schedule opened it' : 'opened by hand';
    return { open: false, period, reason: 'reviewed', campaign: latest.id, why: `${period} has its campaign already: #${latest.id} (${how}, ${latest.status})` };
  }
  if (latest !== undefined && latest.status !== 'closed') {
    return { open: false, period, reason: 'campaign_open', campaign: latest.id, why: `campaign #${latest.id} is still ${latest.status}: ${period}'s opens the first morning after it closes` };
  }
  return { open: true, period };
}

export type QuarterlyOutcome = { opened: ReviewCampaign } | { opened: null; verdict: Extract<QuarterlyVerdict, { open: false }> };

/** Opens the tenant's quarterly campaign at `now` if {@link quarterlyVerdict} says so. */
export async function openQuarterlyCampaign(deps: OpenCampaignDeps, tenant: Tenant, now: Date): Promise<QuarterlyOutcome> {
  const today = localDate(now, tenant.timezone);
  const [latest] = await listCampaigns(deps.db, { tenant: tenant.name, limit: 1 });
  const verdict = quarterlyVerdict(today, latest === undefined ? undefined : { id: latest.id, period: latest.period, openedOn: localDate(latest.opened_at, tenant.timezone), status: latest.status });
  if (!verdict.open) return { opened: null, verdict };
  try {
    return { opened: await openCampaign(deps, tenant, { by: 'warden', period: verdict.period, at: now }) };
  } catch (err) {
    if (!(err instanceof CampaignConflictError)) throw err;
    // Another run opened one between the decision and the write: that one stands.
    const reason = err.reason === 'period' ? 'reviewed' : 'campaign_open';
    return { opened: null, verdict: { open: false, period: verdict.period, reason, campaign: null, why: `another run opened a campaign meanwhile (${err.message})` } };
  }
}
