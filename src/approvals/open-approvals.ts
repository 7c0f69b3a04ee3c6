/**
 * After an audit of a family whose rules can require approval (access, tokens, data): every open finding whose rule
 * requires approval gets one approval in flight (never two for one
 * fingerprint), with its impact measured from the snapshot the audit judged;
 * a finding whose approval an admin rejected is not asked again while it stays
 * open (it is, once it resolved and came back); pending approvals of findings
 * the run resolved or that are suppressed now are withdrawn; pending ones past
 * their deadline expire. Suppressed findings (an accepted risk) and
 * break-glass accounts open nothing. docs/architecture.md "Approvals and remediation".
 */
import type { Approval, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { expireApprovals, openApprovalsFor, standingRejections, withdrawApprovals, type OpenApprovalInput } from '../db/approvals.repository.js';
import { activeSuppressions } from '../db/suppressions.repository.js';
import type { Snapshot } from '../rules/snapshot.js';
import type { Finding } from '../rules/types.js';
import { impactIndex } from './impact.js';
import { impactOf, isApprovalKind } from './kinds.js';

export interface OpenApprovalsInput {
  tenant: Tenant;
  /** Every finding the run produced. */
  findings: readonly Finding[];
  /** Fingerprints of findings the run resolved. */
  resolved: readonly string[];
  snapshot: Snapshot;
  at: Date;
}

export interface OpenApprovalsOutcome {
  /** Approvals opened by this run (the approval email lists them). */
  opened: Approval[];
  withdrawn: number;
  expired: number;
  /** Findings that would have opened one but concern a break-glass account or the tenant's last admin. */
  guarded: number;
  /** Findings not asked again: an admin rejected their approval while they stayed open. */
  rejected: number;
}

const DAY_MS = 86_400_000;

/** Whether a user removal would touch one of the tenant's break-glass accounts. */
export function isBreakGlass(tenant: Pick<Tenant, 'break_glass'>, email: string | null): boolean {
  if (email === null) return false;
  const key = email.trim().toLowerCase();
  return tenant.break_glass.some((e) => e.toLowerCase() === key);
}

export async function openApprovals(db: Db, input: OpenApprovalsInput): Promise<OpenApprovalsOutcome> {
  const { tenant, snapshot, at } = input;
  const asOf = at.getTime();
  const suppressed = new Set((await activeSuppressions(db, tenant.name, at)).map((s) => s.fingerprint));
  const rejectedByAdmin = await standingRejections(db, tenant.name);
  const index = impactIndex(snapshot, asOf);
  const expiresAt = new Date(asOf + tenant.approval_expiry_days * DAY_MS);
  const requests: Omit<OpenApprovalInput, 'tenant' | 'at'>[] = [];
  let guarded = 0;
  let rejected = 0;
  for (const finding of input.findings) {
    if (!finding.requires_approval || !isApprovalKind(finding.action) || suppressed.has(finding.fingerprint)) continue;
    if (rejectedByAdmin.has(finding.fingerprint)) {
      rejected++;
      continue;
    }
    const impact = impactOf(finding.action, snapshot, finding.subject.id, asOf, index);
    // Never asked: a break-glass account, or the tenant's last admin (an approval nobody could grant).
    if (impact.kind === 'remove_user' && (isBreakGlass(tenant, impact.email) || (impact.roles.includes('admin') && impact.other_admins === 0))) {
      guarded++;
      continue;
    }
    requests.push({ fingerprint: finding.fingerprint, kind: finding.action, rule: finding.rule, subject: finding.subject, impact: { ...impact }, expiresAt });
  }
  const opened = await openApprovalsFor(db, tenant.name, requests, at);
  const withdrawn = [
    ...(await withdrawApprovals(db, tenant.name, input.resolved, at)),
    // A risk accepted after its approval was asked: nobody should act on it while the suppression lasts.
    ...(await withdrawApprovals(db, tenant.name, [...suppressed], at, 'the finding was suppressed (its risk accepted)')),
  ];
  const expired = await expireApprovals(db, at, tenant.name);
  return { opened, withdrawn: withdrawn.length, expired: expired.length, guarded, rejected };
}
