/**
 * PRV-01 … PRV-04: GDPR erasure requests. Evidence names the request, never the
 * profile: a profile id is a customer identifier and findings travel by email.
 */
import type { RuleContext } from './snapshot-index.js';
import { DAY_MS, iso } from './time.js';
import type { RawFinding } from './types.js';

export function privacyRules(ctx: RuleContext): RawFinding[] {
  const { snapshot, policy, asOf, index } = ctx;
  const out: RawFinding[] = [];
  for (const req of snapshot.erasure_requests) {
    const subject = { type: 'erasure_request' as const, id: req.id, label: req.id };
    const deadline = req.received_at + policy.erasure_deadline_days * DAY_MS;
    const open = req.status !== 'verified';
    const base = { status: req.status, received_at: iso(req.received_at), deadline: iso(deadline) };

    if (open && deadline < asOf) {
      const late = Math.floor((asOf - deadline) / DAY_MS);
      out.push({
        rule: 'PRV-01',
        name: 'erasure-overdue',
        severity: 'critical',
        subject,
        title: `Erasure request '${req.id}' is past its deadline${late > 0 ? ` by ${late} days` : ''}`,
        evidence: { ...base, days_overdue: late },
        action: 'escalate',
        requires_approval: false,
      });
    } else if (open && deadline <= asOf + policy.erasure_warning_days * DAY_MS) {
      const left = Math.floor((deadline - asOf) / DAY_MS);
      out.push({
        rule: 'PRV-02',
        name: 'erasure-due-soon',
        severity: 'medium',
        subject,
        title: `Erasure request '${req.id}' is due in ${left} days`,
        evidence: { ...base, days_left: left },
        action: 'escalate',
        requires_approval: false,
      });
    }

    if (open && index.softDeletedProfiles.has(req.profile_id)) {
      out.push({
        rule: 'PRV-03',
        name: 'erasure-by-soft-delete',
        severity: 'high',
        subject,
        title: `Profile of erasure request '${req.id}' was soft-deleted, not purged`,
        evidence: base,
        action: 'purge_profile',
        requires_approval: false,
      });
    }

    if (req.status === 'failed') {
      out.push({
        rule: 'PRV-04',
        name: 'erasure-failed',
        severity: 'critical',
        subject,
        title: `Erasure request '${req.id}' failed`,
        evidence: base,
        action: 'escalate',
        requires_approval: false,
      });
    }
  }
  return out;
}
