import { defineRule } from '../rule.js';
import { DAY_MS } from '../time.js';
import { deadlineOf, isOpen, REQUEST_EVIDENCE_DOC, requestEvidence } from './requests.js';

export const prv02 = defineRule({
  id: 'PRV-02',
  name: 'erasure-due-soon',
  family: 'privacy',
  severity: 'medium',
  subject: 'erasure_request',
  action: 'escalate',
  requires_approval: false,
  summary:
    'An open erasure request, not yet overdue, whose deadline is at or before as-of + `erasure_warning_days`.',
  why: 'A warning while there is still time to purge: cheaper than PRV-01.',
  policy: ['erasure_deadline_days', 'erasure_warning_days'],
  evidence: { ...REQUEST_EVIDENCE_DOC, days_left: 'whole days until the deadline' },
  check(request, { policy, asOf }) {
    const deadline = deadlineOf(request, policy);
    if (!isOpen(request) || deadline < asOf || deadline > asOf + policy.erasure_warning_days * DAY_MS) return undefined;
    const left = Math.floor((deadline - asOf) / DAY_MS);
    return {
      title: `Erasure request '${request.id}' is due in ${left} days`,
      evidence: { ...requestEvidence(request, policy), days_left: left },
    };
  },
});
