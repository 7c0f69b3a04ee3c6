import { defineRule } from '../rule.js';
import { ageDays, daysBefore, iso } from '../time.js';

export const sec01 = defineRule({
  id: 'SEC-01',
  name: 'secret-age',
  family: 'secrets',
  severity: 'high',
  subject: 'secret',
  action: 'rotate_secret',
  requires_approval: false,
  summary: 'A shared secret whose current version was created more than `secret_max_age_days` ago.',
  why:
    'Shared secrets (webhook signing, barcode service) are to be rotated regularly; an old one has had the ' +
    'most chances to leak, and a leaked signing key lets anyone forge the platform\'s calls.',
  policy: ['secret_max_age_days'],
  evidence: {
    kind: 'the secret\'s kind',
    current_version_created_at: 'when its current version was created',
    age_days: 'that version\'s age in whole days',
  },
  check(secret, { policy, asOf }) {
    if (!(secret.current_version_created_at < daysBefore(asOf, policy.secret_max_age_days))) return undefined;
    const age = ageDays(secret.current_version_created_at, asOf);
    return {
      title: `Secret '${secret.name}' is ${age} days old (limit ${policy.secret_max_age_days})`,
      evidence: { kind: secret.kind, current_version_created_at: iso(secret.current_version_created_at), age_days: age },
    };
  },
});
