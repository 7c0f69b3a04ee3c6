/** Every job kind Warden runs; the registry built from this list is the start-up check. */
import type { AnyJobDefinition } from '../src/queue/define-job.js';
import type { AuditJobDefinition } from './define-audit-job.js';
import { accessReviewJob } from './access-review.job.js';
import { allowlistAuditJob } from './allowlist-audit.job.js';
import { dataHandlingJob } from './data-handling.job.js';
import { digestJob } from './digest.job.js';
import { erasureJob } from './erasure.job.js';
import { erasureSweepJob } from './erasure-sweep.job.js';
import { reconcileJob } from './reconcile.job.js';
import { remediationJob } from './remediation.job.js';
import { reviewRemindersJob } from './review-reminders.job.js';
import { rotationJob } from './rotation.job.js';
import { secretRotationJob } from './secret-rotation.job.js';
import { staleAccountsJob } from './stale-accounts.job.js';
import { tokenHygieneJob } from './token-hygiene.job.js';

/** The audit jobs, one per rule family, in the order `warden demo` runs them before the digest. */
export const auditJobs: readonly AuditJobDefinition[] = [
  staleAccountsJob,
  tokenHygieneJob,
  allowlistAuditJob,
  secretRotationJob,
  erasureSweepJob,
  dataHandlingJob,
];

export const jobs: readonly AnyJobDefinition[] = [reconcileJob, ...auditJobs, digestJob, remediationJob, erasureJob, rotationJob, accessReviewJob, reviewRemindersJob];
