import { defineRule } from '../rule.js';
import { ageDays, daysBefore, iso } from '../time.js';

export const sec02 = defineRule({
  id: 'SEC-02',
  name: 'secret-rotation-stuck',
  family: 'secrets',
  severity: 'high',
  subject: 'secret',
  action: 'review',
  requires_approval: false,
  summary: 'A secret whose rotation has been pending (`pending_since`) for more than `secret_pending_max_days`.',
  why:
    'A rotation half done leaves two valid versions, old and new, and usually means a consumer was never ' +
    'switched over; the old secret the rotation was meant to retire is still in use.',
  policy: ['secret_pending_max_days'],
  evidence: {
    kind: 'the secret\'s kind',
    pending_since: 'when the rotation started',
    pending_days: 'how long it has been pending, in whole days',
  },
  check(secret, { policy, asOf }) {
    const since = secret.pending_since;
    if (since === null || !(since < daysBefore(asOf, policy.secret_pending_max_days))) return undefined;
    const days = ageDays(since, asOf);
    return {
      title: `Rotation of secret '${secret.name}' pending for ${days} days (limit ${policy.secret_pending_max_days})`,
      evidence: { kind: secret.kind, pending_since: iso(since), pending_days: days },
    };
  },
});
