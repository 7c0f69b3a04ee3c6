/**
 * stale-accounts: the ACC rules (departed staff, unknown and inactive accounts, machine accounts used interactively, too many admins).
 * Default schedule: daily at 06:00, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { defineAuditJob } from './define-audit-job.js';

export const staleAccountsJob = defineAuditJob({ name: 'stale-accounts', family: 'access', schedule: '0 6 * * *' });
