/**
 * data-handling: the DAT and CARE rules (where webhooks send customer data, who owns them, the care register).
 * Default schedule: daily at 06:45, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { defineAuditJob } from './define-audit-job.js';

export const dataHandlingJob = defineAuditJob({ name: 'data-handling', family: 'data', schedule: '45 6 * * *' });
