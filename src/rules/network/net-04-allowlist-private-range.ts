import { privateRangeOf } from '../cidr.js';
import { defineRule } from '../rule.js';
import { entryId } from '../subjects.js';

export const net04 = defineRule({
  id: 'NET-04',
  name: 'allowlist-private-range',
  family: 'network',
  severity: 'low',
  subject: 'allowlist_entry',
  action: 'review',
  requires_approval: false,
  summary:
    'A valid entry wholly inside a private or special range: 10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, ' +
    'fc00::/7, fe80::/10 or ::1.',
  why:
    'Requests to the platform come from public addresses, so a private range never matches anything: the entry ' +
    'is a mistake (often a store\'s internal network written down instead of its public one).',
  policy: [],
  evidence: {
    range: 'the private range that contains the entry',
  },
  check(item) {
    if (item.cidr === undefined) return undefined;
    const range = privateRangeOf(item.cidr);
    if (range === undefined) return undefined;
    return {
      title: `Allowlist entry '${entryId(item)}' is inside the private range ${range}`,
      evidence: { range },
    };
  },
});
