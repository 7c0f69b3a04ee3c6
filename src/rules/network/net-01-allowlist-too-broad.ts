import { defineRule } from '../rule.js';
import { entryId } from '../subjects.js';

export const net01 = defineRule({
  id: 'NET-01',
  name: 'allowlist-too-broad',
  family: 'network',
  severity: 'high',
  escalation: { severity: 'critical', when: 'the prefix is /0 (the whole Internet)' },
  subject: 'allowlist_entry',
  action: 'review',
  requires_approval: false,
  summary:
    'A valid entry whose prefix is shorter than `allowlist_min_prefix_v4` (IPv4) or `allowlist_min_prefix_v6` ' +
    '(IPv6); a bare address counts as /32 or /128.',
  why:
    'Clienteling should be reachable only from known store networks. A broad range lets in everyone who shares ' +
    'it (a whole ISP, a cloud region); /0 is no allowlist at all.',
  policy: ['allowlist_min_prefix_v4', 'allowlist_min_prefix_v6'],
  evidence: {
    prefix: 'the entry\'s prefix length',
    min_prefix: 'the policy minimum for its address family',
    family: '`ipv4` or `ipv6`',
  },
  check(item, { policy }) {
    const { cidr } = item;
    if (cidr === undefined) return undefined;
    const min = cidr.kind === 'ipv4' ? policy.allowlist_min_prefix_v4 : policy.allowlist_min_prefix_v6;
    if (!(cidr.prefix < min)) return undefined;
    return {
      severity: cidr.prefix === 0 ? 'critical' : 'high',
      title: `Allowlist entry '${entryId(item)}' is too broad (/${cidr.prefix}, minimum /${min})`,
      evidence: { prefix: cidr.prefix, min_prefix: min, family: cidr.kind },
    };
  },
});
