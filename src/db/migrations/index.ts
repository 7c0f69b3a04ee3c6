/**
 * Every migration, listed by hand: a static provider works the same from
 * `src/` under vitest and from `dist/`, with no directory scanning.
 * Names are timestamps, so their order is their name order.
 */
import type { Migration } from 'kysely';
import * as initial from './2026-11-29T1800_initial.js';
import * as tenantPolicy from './2026-11-29T2230_tenant-policy.js';
import * as runLeases from './2026-11-29T2300_run-leases.js';
import * as auditLogKeyed from './2026-11-29T2310_audit-log-keyed.js';
import * as peopleSignIn from './2026-11-30T0100_people-sign-in.js';
import * as approvals from './2026-11-30T0500_approvals.js';
import * as erasure from './2026-11-30T0800_erasure.js';
import * as rotation from './2026-11-30T1100_rotation.js';
import * as ledgerKeys from './2026-11-30T1200_ledger-keys.js';
import * as dataHandling from './2026-11-30T1300_data-handling.js';
import * as careTagging from './2026-11-30T1310_care-tagging.js';
import * as accessReviews from './2026-11-30T1800_access-reviews.js';
import * as findingsFillfactor from './2026-11-30T2300_findings-fillfactor.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '2026-11-29T1800_initial': initial,
  '2026-11-29T2230_tenant-policy': tenantPolicy,
  '2026-11-29T2300_run-leases': runLeases,
  '2026-11-29T2310_audit-log-keyed': auditLogKeyed,
  '2026-11-30T0100_people-sign-in': peopleSignIn,
  '2026-11-30T0500_approvals': approvals,
  '2026-11-30T0800_erasure': erasure,
  '2026-11-30T1100_rotation': rotation,
  '2026-11-30T1200_ledger-keys': ledgerKeys,
  '2026-11-30T1300_data-handling': dataHandling,
  '2026-11-30T1310_care-tagging': careTagging,
  '2026-11-30T1800_access-reviews': accessReviews,
  '2026-11-30T2300_findings-fillfactor': findingsFillfactor,
};
