/**
 * Where a campaign stands, as its emails and the weekly digest tell it: its
 * dates in the tenant's time zone and its reviewers' progress.
 */
import type { ReviewCampaign } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { reviewerProgress, type ReviewerProgress } from '../db/reviews.repository.js';
import type { DigestReview } from '../mail/templates/digest.template.js';
import { daysBetween, localDate } from './calendar.js';
import { closeOn, type CampaignDates } from './reminder-schedule.js';

/** The campaign's dates for its reminder schedule, in `timeZone` (the tenant's). */
export function campaignDates(campaign: Pick<ReviewCampaign, 'opened_at' | 'due_on' | 'grace_days'>, timeZone: string): CampaignDates {
  return { openedOn: localDate(campaign.opened_at, timeZone), dueOn: campaign.due_on, graceDays: campaign.grace_days };
}

/** The digest's counts and dates of a campaign ({@link DigestReview}), whatever its status, and each reviewer's share. */
export interface CampaignProgress extends Omit<DigestReview, 'status'> {
  status: ReviewCampaign['status'];
  reviewers: ReviewerProgress[];
}

/** The campaign's progress on `at`, dates in `timeZone`. */
export async function campaignProgress(db: Db, campaign: ReviewCampaign, timeZone: string, at: Date): Promise<CampaignProgress> {
  const reviewers = await reviewerProgress(db, campaign.id);
  const sum = (f: (r: ReviewerProgress) => number) => reviewers.reduce((n, r) => n + f(r), 0);
  const late = daysBetween(campaign.due_on, localDate(at, timeZone));
  return {
    id: campaign.id,
    status: campaign.status,
    dueOn: campaign.due_on,
    closesOn: closeOn(campaignDates(campaign, timeZone)),
    items: sum((r) => r.items),
    decided: sum((r) => r.decided),
    undecided: sum((r) => r.undecided),
    flaggedUndecided: sum((r) => r.flagged_undecided),
    overdueDays: campaign.status === 'open' && late > 0 ? late : 0,
    reviewers,
  };
}
