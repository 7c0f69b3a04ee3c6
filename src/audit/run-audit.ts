/**
 * One audit run of one rule family for one tenant, the body of every audit job:
 * gather only the snapshot parts the family reads, validate them as `warden check`
 * does, run that family's rules as of the run's instant, add the findings of the
 * observed rules the job names (what Warden itself saw: src/audit/observers.ts),
 * and record all of them (new / persisting / resolved) in one transaction.
 */
import type { Environment } from '../config.js';
import type { Db } from '../db/executor.js';
import { recordFindings } from '../db/findings.repository.js';
import type { Approval } from '../db/database.js';
import { requireTenant } from '../db/tenants.repository.js';
import { openApprovals } from '../approvals/open-approvals.js';
import type { Logger } from '../log/logger.js';
import { compareFindings, evaluate, RULE_IDS, summarize } from '../rules/engine.js';
import { DEFAULT_POLICY, type Policy } from '../rules/policy.js';
import { parseSnapshot } from '../rules/snapshot.js';
import type { Finding, RuleFamily, Severity } from '../rules/types.js';
import type { Observer } from './observers.js';
import { gatherOptionsOf, gatherTenantSnapshot, type GatherOptions, type SnapshotPart } from './tenant-snapshot.js';

/**
 * What each family's rules read (docs/rules.md): nothing more is fetched, so an
 * allowlist audit never calls the platform and a privacy sweep only reads its audits.
 */
export const FAMILY_PARTS: Readonly<Record<RuleFamily, readonly SnapshotPart[]>> = {
  access: ['platform', 'directory'],
  // TOK-05 (departed owner) needs the directory; TOK-06/07 need the users.
  tokens: ['platform', 'directory'],
  network: ['allowlist'],
  secrets: ['secrets'],
  // PRV-03 looks for a soft delete of the request's profile in the platform's audits (users and tokens are not needed).
  privacy: ['erasure', 'audits'],
  // DAT-03 judges a webhook's owner: the users (not their tokens or audits), and the directory for a departed one.
  data: ['users', 'directory', 'webhooks', 'destinations', 'care'],
};

export interface AuditRunOptions {
  family: RuleFamily;
  /** `job_runs.id` of the run: findings remember which run last saw them. */
  runId: number;
  /** Where the tenant's platform and SCIM tokens are read from, by the variable names its row gives (the app's environment). */
  env: Environment;
  /** The instant the rules judge at and the findings are stamped with. @defaultValue now */
  now?: Date;
  /**
   * Thresholds: the tenant's stored overrides over the defaults of docs/rules.md "Policy".
   * @defaultValue the defaults of docs/rules.md "Policy"
   */
  policy?: Policy;
  /** Client tuning (timeouts, retries, page size). @defaultValue the client's defaults */
  client?: GatherOptions['client'];
  /** Private networks outbound calls may reach. @defaultValue none */
  allowPrivateNetworks?: GatherOptions['allowPrivateNetworks'];
  logger?: Logger;
  /**
   * Observed rules of the family to run too (src/audit/observers.ts): their
   * findings are recorded with the snapshot rules', and the run resolves those
   * of their findings it no longer produces.
   * @defaultValue none
   */
  observe?: readonly Observer[];
}

/** What a run reports to its `job_runs` row: findings by severity and by lifecycle. */
export interface AuditRunCounts extends Record<Severity, number> {
  [key: string]: number;
  /** Findings the run produced (open after it). */
  findings: number;
  /** First seen in this run, or back after having been resolved. */
  created: number;
  /** Of `created`, those that had been resolved before. */
  reopened: number;
  persisting: number;
  /** Open findings of this family that the run no longer produced. */
  resolved: number;
}

/** The families whose findings can require an admin's approval (ACC-01, ACC-03, TOK-02, TOK-07, DAT-01). */
export const APPROVING_FAMILIES: ReadonlySet<RuleFamily> = new Set(['access', 'tokens', 'data']);

export interface AuditRunResult {
  counts: AuditRunCounts;
  /** Approvals this run opened (src/approvals/open-approvals.ts): the approval email lists them. */
  opened: Approval[];
  /** Every finding the run produced (open after it), for a job's remedy (jobs/define-audit-job.ts). */
  findings: readonly Finding[];
}

export async function runAudit(db: Db, tenant: string, options: AuditRunOptions): Promise<AuditRunResult> {
  const now = options.now ?? new Date();
  const raw = await gatherTenantSnapshot(db, tenant, {
    parts: FAMILY_PARTS[options.family],
    now,
    ...gatherOptionsOf(options),
  });
  // The same gate as `warden check`: a platform answer the rules cannot read fails the run, naming the path.
  const snapshot = parseSnapshot(raw);
  const result = evaluate(snapshot, options.policy ?? DEFAULT_POLICY, now.getTime(), [options.family]);
  const observers = options.observe ?? [];
  for (const o of observers) {
    // The family's job is the one that resolves the rule's findings and that pages link a finding's runs to.
    if (o.rule.family !== options.family) throw new Error(`observed rule ${o.rule.id} is of the ${o.rule.family} family, not ${options.family}`);
  }
  const observed = (await Promise.all(observers.map((o) => o.findings(db, tenant, now)))).flat();
  const findings = [...result.findings, ...observed].sort(compareFindings);
  const outcome = await recordFindings(db, {
    tenant,
    runId: options.runId,
    rules: [...RULE_IDS[options.family], ...observers.map((o) => o.rule.id)],
    findings,
    at: now,
  });
  const counts: AuditRunCounts = {
    findings: findings.length,
    ...summarize(findings),
    created: outcome.created.length,
    reopened: outcome.reopened.length,
    persisting: outcome.persisting.length,
    resolved: outcome.resolved.length,
  };
  if (!APPROVING_FAMILIES.has(options.family)) return { counts, opened: [], findings };
  const approvals = await openApprovals(db, {
    tenant: await requireTenant(db, tenant),
    findings,
    resolved: outcome.resolved,
    snapshot,
    at: now,
  });
  counts['approvals_opened'] = approvals.opened.length;
  if (approvals.withdrawn > 0) counts['approvals_withdrawn'] = approvals.withdrawn;
  if (approvals.expired > 0) counts['approvals_expired'] = approvals.expired;
  if (approvals.guarded > 0) counts['break_glass_skipped'] = approvals.guarded;
  if (approvals.rejected > 0) counts['rejected_standing'] = approvals.rejected;
  return { counts, opened: approvals.opened, findings };
}
