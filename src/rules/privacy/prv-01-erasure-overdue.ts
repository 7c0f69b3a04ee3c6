import { defineRule } from '../rule.js';
import { DAY_MS } from '../time.js';
import { deadlineOf, isOpen, REQUEST_EVIDENCE_DOC, requestEvidence } from './requests.js';

export const prv01 = defineRule({
  id: 'PRV-01',
  name: 'erasure-overdue',
  family: 'privacy',
  severity: 'critical',
  subject: 'erasure_request',
  action: 'escalate',
  requires_approval: false,
  summary: 'An open erasure request (status none of `verified`, `not_found`, `retained`) whose deadline is before as-of.',
  why:
    'GDPR gives a month to erase a customer\'s data on request; a missed deadline is a breach the tenant must ' +
    'answer for, so it goes to someone who can act today.',
  policy: ['erasure_deadline_days'],
  evidence: { ...REQUEST_EVIDENCE_DOC, days_overdue: 'whole days past the deadline' },
  check(request, { policy, asOf }) {
    const deadline = deadlineOf(request, policy);
    if (!isOpen(request) || !(deadline < asOf)) return undefined;
    const late = Math.floor((asOf - deadline) / DAY_MS);
    return {
      title: `Erasure request '${request.id}' is past its deadline${late > 0 ? ` by ${late} days` : ''}`,
      evidence: { ...requestEvidence(request, policy), days_overdue: late },
    };
  },
});
