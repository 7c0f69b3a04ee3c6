import { defineRule } from '../rule.js';

export const net00 = defineRule({
  id: 'NET-00',
  name: 'allowlist-invalid-entry',
  family: 'network',
  severity: 'high',
  subject: 'allowlist_entry',
  action: 'review',
  requires_approval: false,
  summary:
    'An allowlist entry whose `cidr` is missing, not a string, or not a valid IPv4/IPv6 address or CIDR.',
  why:
    'The record of the allowlist is what Warden and people audit against; an entry nobody can read means the ' +
    'real allowlist is unknown. A bad entry is a finding, not an input error, so the rest is still audited.',
  policy: [],
  evidence: {
    cidr: 'the `cidr` exactly as given (null when missing)',
    location_id: 'the entry\'s store, or null',
  },
  check({ entry, cidr }) {
    if (cidr !== undefined) return undefined;
    return {
      title: `Allowlist entry ${JSON.stringify(entry.cidr ?? null)} is not a valid IP address or CIDR`,
      evidence: { cidr: entry.cidr ?? null, location_id: entry.location_id },
    };
  },
});
