/**
 * allowlist-audit: the NET rules over the tenant's own record of its clienteling IP allowlist (no platform call).
 * Default schedule: weekly, Mondays at 06:30, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { defineAuditJob } from './define-audit-job.js';

export const allowlistAuditJob = defineAuditJob({ name: 'allowlist-audit', family: 'network', schedule: '30 6 * * 1' });
