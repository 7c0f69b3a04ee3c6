/**
 * data-handling: the DAT and CARE rules (where webhooks send customer data, who owns them, the care register).
 * Default schedule: daily at 06:45, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 *
 * DAT-01 opens approvals (`disable_webhook`, carried out by `remediation`); with the tenant's
 * `care_auto_tag` on, the run then adds the missing care tags itself (src/audit/care-tags.ts).
 */
import { addCareTags } from '../src/audit/care-tags.js';
import { remediationClient } from '../src/approvals/remediate.js';
import { defineAuditJob } from './define-audit-job.js';

export const dataHandlingJob = defineAuditJob({
  name: 'data-handling',
  family: 'data',
  schedule: '45 6 * * *',
  async remedy(ctx, app, tenant, findings) {
    const logger = ctx.log;
    const client = remediationClient({ db: app.db, env: app.env, allowPrivateNetworks: app.allowPrivateNetworks, logger, ...(app.client === undefined ? {} : { client: app.client }) }, tenant);
    return addCareTags({ db: app.db, client, once: (key, fn, options) => ctx.once(key, fn, options), runKey: ctx.runId, actor: 'system:data-handling', logger }, tenant, findings);
  },
});
