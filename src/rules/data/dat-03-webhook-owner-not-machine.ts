import { defineRule } from '../rule.js';
import { userLabel } from '../subjects.js';
import { webhookHost, webhookRef } from './destinations.js';

export const dat03 = defineRule({
  id: 'DAT-03',
  name: 'webhook-owner-not-machine',
  family: 'data',
  severity: 'medium',
  subject: 'webhook',
  action: 'review',
  requires_approval: false,
  summary:
    'An active webhook whose `user_id` is not a live machine user (a human, a deleted user, no user), or is a departed user.',
  why:
    'A webhook is an integration and belongs to a machine account. One owned by a person goes with that ' +
    'person: when they leave, the export either breaks or keeps running under an account nobody answers for.',
  policy: [],
  evidence: {
    trigger: 'the event that sends data',
    host: 'the webhook\'s host, or null (never the whole url)',
    owner_id: 'the owner\'s id, or null when the webhook names none',
    owner: '`human`, `deleted` (no live user has the id), `none` (no `user_id`) or `departed`',
  },
  check(webhook, { index }) {
    const account = webhook.user_id === null ? undefined : index.accounts.get(webhook.user_id);
    const owner = account?.user;
    const departed = account?.departed !== undefined;
    const machine = account?.machine === true;
    if (machine && !departed) return undefined;
    const kind = webhook.user_id === null ? 'none' : owner === undefined ? 'deleted' : departed ? 'departed' : 'human';
    const owned = (whose: string) => `Webhook ${webhookRef(webhook)} ${whose}`;
    const label = owner === undefined ? '' : userLabel(owner);
    const title = {
      none: owned('has no owner'),
      deleted: owned(`is owned by user ${webhook.user_id}, who no longer exists`),
      departed: owned(`is owned by '${label}', who has left`),
      human: owned(`is owned by '${label}', a person, not a machine account`),
    }[kind];
    return { title, evidence: { trigger: webhook.trigger, host: webhookHost(webhook.url), owner_id: webhook.user_id, owner: kind } };
  },
});
