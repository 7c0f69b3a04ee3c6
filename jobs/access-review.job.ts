/**
 * access-review: opens each tenant's quarterly access-review campaign on the
 * first Monday of January, April, July and October, 09:00 in its time zone
 * (docs/architecture.md "Access reviews"), then sends its first emails (the
 * review email to the compliance officers, each reviewer's opening reminder).
 * Payload: `{}`.
 *
 * The schedule is `0 9 * 1,4,7,10 *`: every morning of a quarter's first
 * month, since cron cannot say "first Monday" (a day of the month and a day of
 * the week in one pattern fire on either). Each run decides
 * (src/reviews/quarterly-campaign.ts `quarterlyVerdict`): before the first
 * Monday it does nothing; from it on, it opens the quarter's campaign unless
 * the quarter has one (keyed `2027-Q1`, so a tick that fires twice, or two
 * workers, open one; a campaign opened by hand during the quarter counts as
 * its review) or a campaign is still open, which is logged and skipped, not a
 * failure. So a first Monday missed (the platform or the worker down) opens
 * the campaign the next morning, and one still open then opens it the first
 * morning after it closes, within the month; past the month, `warden run
 * access-review` (or `warden review open`) opens it by hand.
 *
 * A set-up problem (token variable unset, unknown tenant) fails the run for
 * good; the platform failing is retried. An email that fails after the
 * campaign opened does not fail the run: its key is given back, and the
 * `review-reminders` run (09:30) sends it.
 */
import { z } from 'zod';
import { requireTenant } from '../src/db/tenants.repository.js';
import { DomainError, InputError } from '../src/errors.js';
import { defineJob } from '../src/queue/define-job.js';
import { PermanentJobError } from '../src/queue/errors.js';
import { openQuarterlyCampaign } from '../src/reviews/quarterly-campaign.js';
import { ReviewEmailsError, sendReviewNotices } from '../src/reviews/review-notices.js';
import { requireApp } from './job-deps.js';

export const accessReviewJob = defineJob({
  name: 'access-review',
  payload: z.strictObject({}),
  schedule: '0 9 * 1,4,7,10 *',
  scope: 'tenant',
  async run(_payload, ctx): Promise<Record<string, number>> {
    const app = requireApp(ctx.deps, 'access-review');
    if (ctx.tenant === null) throw new PermanentJobError('job access-review runs for a tenant, and this run has none');
    const now = app.now?.() ?? new Date();
    let outcome;
    try {
      const tenant = await requireTenant(app.db, ctx.tenant);
      outcome = await openQuarterlyCampaign(
        { db: app.db, env: app.env, allowPrivateNetworks: app.allowPrivateNetworks, logger: ctx.log, ...(app.client === undefined ? {} : { client: app.client }) },
        tenant,
        now,
      );
      if (outcome.opened === null) {
        ctx.log.info({ period: outcome.verdict.period, reason: outcome.verdict.reason, campaign: outcome.verdict.campaign }, `no campaign opened: ${outcome.verdict.why}`);
        return { skipped: 1 };
      }
      const campaign = outcome.opened;
      ctx.log.info({ campaign: campaign.id, period: campaign.period, items: campaign.counts['items'], flagged: campaign.counts['flagged'], due_on: campaign.due_on }, 'quarterly access review opened');
      const opened = { opened: 1, items: campaign.counts['items'] ?? 0, flagged: campaign.counts['flagged'] ?? 0 };
      try {
        return { ...opened, ...(await sendReviewNotices({ ...app, logger: ctx.log }, tenant, now)) };
      } catch (err) {
        // The campaign is open (committed): an email that did not go is the daily review-reminders run's to send.
        if (!(err instanceof ReviewEmailsError)) throw err;
        ctx.log.warn({ campaign: campaign.id, error: err.message }, 'campaign opened; some of its emails go with the next review-reminders run');
        return { ...opened, emails_failed: err.failed };
      }
    } catch (err) {
      if (err instanceof InputError || err instanceof DomainError) throw new PermanentJobError(err.message, { cause: err });
      throw err;
    }
  },
});
