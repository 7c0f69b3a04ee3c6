import { defineRule } from '../rule.js';
import { entryId } from '../subjects.js';
import { iso } from '../time.js';

export const net03 = defineRule({
  id: 'NET-03',
  name: 'allowlist-closed-location',
  family: 'network',
  severity: 'medium',
  subject: 'allowlist_entry',
  action: 'review',
  requires_approval: false,
  summary: 'A valid entry whose location has `closed_at` at or before as-of.',
  why:
    'A closed store\'s network passes to its next tenant or ISP customer; leaving it on the allowlist opens ' +
    'Clienteling to strangers.',
  policy: [],
  evidence: {
    location_id: 'the closed store\'s id',
    closed_at: 'when it closed',
  },
  check(item, { asOf, index }) {
    const { entry } = item;
    if (item.cidr === undefined || entry.location_id === null) return undefined;
    const location = index.locations.get(entry.location_id);
    if (location === undefined || location.closed_at === null || location.closed_at > asOf) return undefined;
    return {
      title: `Allowlist entry '${entryId(item)}' belongs to closed store '${location.name ?? location.id}'`,
      evidence: { location_id: location.id, closed_at: iso(location.closed_at) },
    };
  },
});
