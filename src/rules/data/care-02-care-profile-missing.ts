import { defineRule } from '../rule.js';

export const care02 = defineRule({
  id: 'CARE-02',
  name: 'care-profile-missing',
  family: 'data',
  severity: 'low',
  subject: 'profile',
  action: 'review',
  requires_approval: false,
  summary: 'A `care_register` profile absent from `omneo.profiles` (erased, merged or never there).',
  why:
    'The register names someone the platform no longer has: an erased customer should leave the register ' +
    'too, and a merged one needs the entry moved to the profile that survived.',
  policy: [],
  evidence: {
    profile_id: 'the profile\'s id',
    reason: 'the register\'s reason for the entry, or null',
  },
  check({ entry, profile }) {
    if (profile !== undefined) return undefined;
    return {
      title: `Profile ${entry.profile_id} is on the care register but not on the platform`,
      evidence: { profile_id: entry.profile_id, reason: entry.reason },
    };
  },
});
