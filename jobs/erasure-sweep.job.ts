/**
 * erasure-sweep: the PRV rules over the ledger's erasure requests, with the platform's audits for soft deletes (PRV-03).
 * Default schedule: hourly, at five past, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { defineAuditJob } from './define-audit-job.js';

export const erasureSweepJob = defineAuditJob({ name: 'erasure-sweep', family: 'privacy', schedule: '5 * * * *' });
