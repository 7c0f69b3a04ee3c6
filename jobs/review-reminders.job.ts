/**
 * review-reminders: the access-review campaign's daily round for a tenant,
 * 09:30 in its time zone, and on demand: the review actions enqueue a run
 * after opening a campaign, deciding items that became approvals, and closing
 * (src/app/reviews.ts), and `reconcile` gives one to a campaign whose closing
 * died. Payload: `{}`.
 *
 * It does what src/reviews/review-notices.ts `sendReviewNotices` says, as of
 * now: resumes a closing that died, closes a campaign whose due date and grace
 * period are past, sends the opening email to the compliance officers, today's
 * reminder to each reviewer with undecided items (only them), the escalation
 * once overdue, and the closing email with the evidence pack; each email once
 * per campaign (keyed on it before it is sent), each logged on the campaign.
 * Then, as the audit jobs do, each admin is emailed the pending approvals
 * (those of revokes and role changes) not emailed to them yet.
 *
 * An email that failed fails the run once the others are sent (its key given
 * back), so the retry sends only what is missing.
 */
import { z } from 'zod';
import { approvalEmails } from '../src/approvals/notify.js';
import { requireTenant } from '../src/db/tenants.repository.js';
import { DomainError, InputError } from '../src/errors.js';
import { defineJob } from '../src/queue/define-job.js';
import { PermanentJobError } from '../src/queue/errors.js';
import { ReviewEmailsError, sendReviewNotices } from '../src/reviews/review-notices.js';
import { requireApp } from './job-deps.js';

export const reviewRemindersJob = defineJob({
  name: 'review-reminders',
  payload: z.strictObject({}),
  schedule: '30 9 * * *',
  scope: 'tenant',
  async run(_payload, ctx) {
    const app = requireApp(ctx.deps, 'review-reminders');
    if (ctx.tenant === null) throw new PermanentJobError('job review-reminders runs for a tenant, and this run has none');
    const now = app.now?.() ?? new Date();
    let counts: Record<string, number> = {};
    let failed: ReviewEmailsError | undefined;
    try {
      const tenant = await requireTenant(app.db, ctx.tenant);
      try {
        counts = await sendReviewNotices({ ...app, logger: ctx.log }, tenant, now);
      } catch (err) {
        if (!(err instanceof ReviewEmailsError)) throw err;
        // The approvals below are still sent; the run fails after them, and its retry sends the rest.
        failed = err;
      }
      // One email per admin, listing the pending approvals that admin has not been sent yet; each sent once (ctx.once).
      const emails = await approvalEmails({ ...app, logger: ctx.log }, tenant, now);
      for (const email of emails) await ctx.once(`approval-email:${email.person.id}`, async () => ({ message_id: (await email.send()).messageId }));
      if (emails.length > 0) counts['approval_emails'] = emails.length;
    } catch (err) {
      if (err instanceof InputError || err instanceof DomainError) throw new PermanentJobError(err.message, { cause: err });
      throw err;
    }
    if (failed !== undefined) throw failed;
    return counts;
  },
});
