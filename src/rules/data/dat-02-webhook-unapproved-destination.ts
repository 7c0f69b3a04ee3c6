import { defineRule } from '../rule.js';
import { isApproved, isSecure, webhookHost, webhookRef } from './destinations.js';

export const dat02 = defineRule({
  id: 'DAT-02',
  name: 'webhook-unapproved-destination',
  family: 'data',
  severity: 'high',
  subject: 'webhook',
  action: 'review',
  requires_approval: false,
  summary:
    '`data_destinations` has at least one entry, and an active, secure webhook\'s host is not an approved host ' +
    '(an entry `*.S` approves the subdomains of `S`, not `S` itself). A webhook without a host is DAT-01\'s.',
  why:
    'Bulk customer data must only go where the tenant decided it may go. A webhook to any other host, even over ' +
    'https, is an export nobody approved.',
  policy: [],
  evidence: {
    trigger: 'the event that sends data',
    host: 'the webhook\'s host (never the whole url)',
    approved_destinations: 'how many entries `data_destinations` has',
  },
  check(webhook, { index }) {
    const approved = index.approvedHosts;
    if (approved.count === 0 || !isSecure(webhook)) return undefined;
    const host = webhookHost(webhook.url);
    if (host === null || isApproved(host, approved)) return undefined;
    return {
      title: `Webhook ${webhookRef(webhook)} sends customer data to ${host}, not an approved destination`,
      evidence: { trigger: webhook.trigger, host, approved_destinations: approved.count },
    };
  },
});
