/**
 * secret-age: the SEC rules over the ledger's secret versions (age of the current version, stuck rotations).
 * Default schedule: daily at 06:45, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { defineAuditJob } from './define-audit-job.js';

export const secretAgeJob = defineAuditJob({ name: 'secret-age', family: 'secrets', schedule: '45 6 * * *' });
