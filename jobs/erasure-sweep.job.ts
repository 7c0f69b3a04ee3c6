/**
 * erasure-sweep: the PRV rules over the ledger's erasure requests, with the
 * platform's audits for soft deletes (PRV-03); then the engineers are emailed
 * the tenant's open requests that became due within 7 days or overdue since
 * they were last told (each request once per state). Requests stuck without a
 * run are `reconcile`'s (every 5 minutes), not this job's.
 * Default schedule: hourly, at five past, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { openRequestsDueBy } from '../src/db/erasure.repository.js';
import { requireTenant } from '../src/db/tenants.repository.js';
import { tellErasureDeadlines } from '../src/erasure/notify.js';
import { defineAuditJob } from './define-audit-job.js';

/** How far ahead a deadline is "due soon" for the email (PRV-02's default warning too). */
export const DUE_SOON_DAYS = 7;

export const erasureSweepJob = defineAuditJob({
  name: 'erasure-sweep',
  family: 'privacy',
  schedule: '5 * * * *',
  async after(ctx, app, tenantName): Promise<Record<string, number>> {
    const now = new Date();
    const due = await openRequestsDueBy(app.db, tenantName, new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000));
    if (due.length === 0) return {};
    const tenant = await requireTenant(app.db, tenantName);
    const told = await tellErasureDeadlines({ ...app, logger: ctx.log }, tenant, due, now);
    return told > 0 ? { deadline_emails: 1, deadline_requests_told: told } : {};
  },
});
