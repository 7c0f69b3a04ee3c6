import { defineRule } from '../rule.js';
import { REQUEST_EVIDENCE_DOC, requestEvidence } from './requests.js';

export const prv04 = defineRule({
  id: 'PRV-04',
  name: 'erasure-failed',
  family: 'privacy',
  severity: 'critical',
  subject: 'erasure_request',
  action: 'escalate',
  requires_approval: false,
  summary: 'An erasure request whose status is `failed`.',
  why:
    'A failed purge will not retry by itself and the deadline keeps running; someone has to find out why and ' +
    'erase by hand.',
  policy: ['erasure_deadline_days'],
  evidence: REQUEST_EVIDENCE_DOC,
  check(request, { policy }) {
    if (request.status !== 'failed') return undefined;
    return {
      title: `Erasure request '${request.id}' failed`,
      evidence: requestEvidence(request, policy),
    };
  },
});
