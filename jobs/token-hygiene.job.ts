/**
 * token-hygiene: the TOK rules (old, unused, shared, wildcard and orphaned tokens, tokens of departed or human owners).
 * Default schedule: daily at 06:15, in the tenant's time zone (README.md "Jobs"). Payload: `{}`.
 */
import { defineAuditJob } from './define-audit-job.js';

export const tokenHygieneJob = defineAuditJob({ name: 'token-hygiene', family: 'tokens', schedule: '15 6 * * *' });
