import { defineRule } from '../rule.js';
import { tagKey } from './destinations.js';

export const care01 = defineRule({
  id: 'CARE-01',
  name: 'care-tag-missing',
  family: 'data',
  severity: 'medium',
  subject: 'profile',
  action: 'tag_profile',
  requires_approval: false,
  summary:
    'A `care_register` profile present in `omneo.profiles` whose tags do not include the register\'s tag ' +
    '(compared trimmed and lower-cased).',
  why:
    'The tag is what tells customer service staff to take care with this person. A profile on the register ' +
    'without it is handled like any other, which is what the register exists to prevent.',
  policy: [],
  evidence: {
    profile_id: 'the profile\'s id',
    reason: 'the register\'s reason for the entry, or null',
    tag: 'the tag the register asks for',
  },
  check({ entry, tag, profile }) {
    if (profile === undefined) return undefined;
    const wanted = tagKey(tag);
    if (profile.tags.some((t) => tagKey(t) === wanted)) return undefined;
    return {
      title: `Profile ${entry.profile_id} is on the care register but lacks the tag '${tag}'`,
      evidence: { profile_id: entry.profile_id, reason: entry.reason, tag },
    };
  },
});
