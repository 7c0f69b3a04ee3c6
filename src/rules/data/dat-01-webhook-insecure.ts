import { defineRule } from '../rule.js';
import { isSecure, schemeOf, webhookHost, webhookRef } from './destinations.js';

export const dat01 = defineRule({
  id: 'DAT-01',
  name: 'webhook-insecure',
  family: 'data',
  severity: 'critical',
  subject: 'webhook',
  action: 'disable_webhook',
  requires_approval: true,
  summary: 'An active webhook that is not secure (its url is not `https`), or whose url has no host.',
  why:
    'A webhook pushes customer data every time its trigger fires. Over plain http anyone on the path reads ' +
    'it; a url without a host cannot be checked against the approved destinations at all.',
  policy: [],
  evidence: {
    trigger: 'the event that sends data',
    host: 'the webhook\'s host, or null when its url has none (never the whole url: it may carry a key)',
    scheme: 'the url\'s scheme, lower-cased, or null when it has none',
    problem: '`not_https` or `no_host`',
  },
  check(webhook) {
    const host = webhookHost(webhook.url);
    const secure = isSecure(webhook);
    if (host !== null && secure) return undefined;
    const scheme = schemeOf(webhook.url);
    return {
      title:
        host === null
          ? `Webhook ${webhookRef(webhook)} has no destination host that can be checked`
          : `Webhook ${webhookRef(webhook)} sends customer data unencrypted (${scheme ?? 'no scheme'}) to ${host}`,
      evidence: { trigger: webhook.trigger, host, scheme, problem: host === null ? 'no_host' : 'not_https' },
    };
  },
});
