/** SEC-01, SEC-02: shared secrets and their rotation. */
import type { RuleContext } from './snapshot-index.js';
import { ageDays, daysBefore, iso } from './time.js';
import type { RawFinding } from './types.js';

export function secretRules(ctx: RuleContext): RawFinding[] {
  const { snapshot, policy, asOf } = ctx;
  const out: RawFinding[] = [];
  const maxAgeBefore = daysBefore(asOf, policy.secret_max_age_days);
  const pendingBefore = daysBefore(asOf, policy.secret_pending_max_days);
  for (const secret of snapshot.secrets) {
    const subject = { type: 'secret' as const, id: secret.name, label: secret.name };
    if (secret.current_version_created_at < maxAgeBefore) {
      const age = ageDays(secret.current_version_created_at, asOf);
      out.push({
        rule: 'SEC-01',
        name: 'secret-age',
        severity: 'high',
        subject,
        title: `Secret '${secret.name}' is ${age} days old (limit ${policy.secret_max_age_days})`,
        evidence: { kind: secret.kind, current_version_created_at: iso(secret.current_version_created_at), age_days: age },
        action: 'rotate_secret',
        requires_approval: false,
      });
    }
    if (secret.pending_since !== null && secret.pending_since < pendingBefore) {
      const days = ageDays(secret.pending_since, asOf);
      out.push({
        rule: 'SEC-02',
        name: 'secret-rotation-stuck',
        severity: 'high',
        subject,
        title: `Rotation of secret '${secret.name}' pending for ${days} days (limit ${policy.secret_pending_max_days})`,
        evidence: { kind: secret.kind, pending_since: iso(secret.pending_since), pending_days: days },
        action: 'review',
        requires_approval: false,
      });
    }
  }
  return out;
}
