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
    scheme:
      'the url\'s scheme, lower-cased; null when it has none, and when the url has no host and the scheme is ' +
      'neither `http` nor `https` (in a url without `//` what stands before the first colon may be a key)',
    problem: '`not_https` or `no_host`',
  },
  check(webhook) {
    const host = webhookHost(webhook.url);
    const secure = isSecure(webhook);
    if (host !== null && secure) return undefined;
    // In a url with no host, what stands before the first colon is not always a scheme: in `AKIA…:secret@bucket`
    // it is a key. Only the two schemes the rule is about are named there; with a host (`scheme://`) it is one.
    const given = schemeOf(webhook.url);
    const scheme = host !== null || given === 'http' || given === 'https' ? given : null;
    // Only http is known to be plain text: `wss` or `sftp` are encrypted, just not the https the rule asks for.
    const how = scheme === 'http' ? 'unencrypted (http)' : `over ${scheme ?? 'no scheme'}, not https,`;
    return {
      title:
        host === null
          ? `Webhook ${webhookRef(webhook)} has no destination host that can be checked`
          : `Webhook ${webhookRef(webhook)} sends customer data ${how} to ${host}`,
      evidence: { trigger: webhook.trigger, host, scheme, problem: host === null ? 'no_host' : 'not_https' },
    };
  },
});
