import { defineRule } from '../rule.js';
import { isOpen, REQUEST_EVIDENCE_DOC, requestEvidence } from './requests.js';

export const prv03 = defineRule({
  id: 'PRV-03',
  name: 'erasure-by-soft-delete',
  family: 'privacy',
  severity: 'high',
  subject: 'erasure_request',
  action: 'purge_profile',
  requires_approval: false,
  summary:
    'An open erasure request whose profile has an audit with `event` = `deleted` and `auditable_type` = `Profile`.',
  why:
    'The platform\'s standard delete is a soft delete: the customer\'s data stays in the database. GDPR erasure ' +
    'must use the Purge endpoint; a soft delete looks done and is not.',
  policy: ['erasure_deadline_days'],
  evidence: REQUEST_EVIDENCE_DOC,
  check(request, { policy, index }) {
    if (!isOpen(request) || !index.softDeletedProfiles.has(request.profile_id)) return undefined;
    return {
      title: `Profile of erasure request '${request.id}' was soft-deleted, not purged`,
      evidence: requestEvidence(request, policy),
    };
  },
});
