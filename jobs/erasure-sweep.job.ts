/**
 * erasure-sweep: the PRV rules over the ledger's erasure requests, with the
 * platform's audits for soft deletes (PRV-03); then the engineers are emailed
 * what the erasure job could not tell them (a failure or a reopening whose
 * email did not go: mail was down), and the tenant's open requests that
 * became due within 7 days or overdue since they were last told (each request
 * once per state). Requests stuck without a
 * run are `reconcile`'s (every 5 minutes), not this job's.
 * Default schedule: hourly, at five past, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { erasuresToTell } from '../src/db/erasure.repository.js';
import { requireTenant } from '../src/db/tenants.repository.js';
import { tellErasureDeadlines, tellErasureFailed, tellErasureReappeared } from '../src/erasure/notify.js';
import { defineAuditJob } from './define-audit-job.js';

/** How far ahead a deadline is "due soon" for the email (PRV-02's default warning too). */
export const DUE_SOON_DAYS = 7;
/** How far back the sweep looks for reopened requests whose email was not sent. */
const RETELL_WITHIN_MS = 7 * 86_400_000;

export const erasureSweepJob = defineAuditJob({
  name: 'erasure-sweep',
  family: 'privacy',
  schedule: '5 * * * *',
  async after(ctx, app, tenantName): Promise<Record<string, number>> {
    const now = new Date();
    const tenant = await requireTenant(app.db, tenantName);
    const notify = { ...app, logger: ctx.log };
    // Failures and reopenings whose email the erasure job could not send (each is keyed: one told already is skipped).
    let late = 0;
    for (const request of await erasuresToTell(app.db, tenantName, new Date(now.getTime() - RETELL_WITHIN_MS))) {
      const told = request.status === 'failed' ? await tellErasureFailed(notify, tenant, request, now) : await tellErasureReappeared(notify, tenant, request, now);
      if (told) late++;
    }
    const told = await tellErasureDeadlines(notify, tenant, new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000), now);
    return { ...(told > 0 ? { deadline_emails: 1, deadline_requests_told: told } : {}), ...(late > 0 ? { late_emails: late } : {}) };
  },
});
