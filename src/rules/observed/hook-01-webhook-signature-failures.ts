import { iso } from '../time.js';
import { defineObservedRule } from './observed-rule.js';

/** Why Warden's webhook receiver refused a delivery (the ledger's `webhook_deliveries.reason`). */
export const WEBHOOK_REFUSAL_REASONS = ['missing-signature', 'bad-signature', 'replayed', 'no-secret'] as const;
export type WebhookRefusalReason = (typeof WEBHOOK_REFUSAL_REASONS)[number];

/** One delivery the receiver refused. */
export interface WebhookRefusal {
  reason: WebhookRefusalReason;
  /** When it was received, epoch milliseconds. */
  at: number;
}

/**
 * Refusals in the window at which HOOK-01 fires. One or two refusals happen
 * (a test delivery from a support engineer, a retry of a delivery already
 * accepted); five in a day are a pattern.
 */
export const HOOK_01_MIN_REFUSALS = 5;
/** The window HOOK-01 counts refusals in: the last 24 hours, strictly after as-of − 24 h, up to as-of. */
export const HOOK_01_WINDOW_HOURS = 24;
export const HOOK_01_WINDOW_MS = HOOK_01_WINDOW_HOURS * 3_600_000;

/** The evidence field of each reason's count: the reason in snake case, as evidence fields are spelt. */
const FIELD: Readonly<Record<WebhookRefusalReason, string>> = {
  'missing-signature': 'missing_signature',
  'bad-signature': 'bad_signature',
  replayed: 'replayed',
  'no-secret': 'no_secret',
};

export const hook01 = defineObservedRule({
  id: 'HOOK-01',
  name: 'webhook-signature-failures',
  family: 'secrets',
  severity: 'high',
  subject: 'tenant',
  action: 'review',
  requires_approval: false,
  summary: `A tenant whose webhook deliveries Warden's receiver refused at least ${HOOK_01_MIN_REFUSALS} times in the last ${HOOK_01_WINDOW_HOURS} hours (a missing, bad or replayed signature, or no secret to verify with).`,
  why:
    'Refused deliveries mean one of two things. Someone is trying forged or replayed deliveries, to make Warden ' +
    'or the tenant act on events the platform never sent. Or the platform signs with a secret Warden does not ' +
    'hold: the signing secret was changed at the platform without Warden, or a rotation\'s new value was ' +
    'installed at the platform but differs from Warden\'s copy. Then every real delivery is being dropped, and a ' +
    'rotation waiting for one never finishes. Either way someone must look: at the reasons, at the secret\'s ' +
    'rotations (`warden secrets status`), and with the platform\'s support.',
  observes: 'the deliveries Warden\'s webhook receiver (`POST /webhooks/omneo/:tenant`) refused, as it recorded them in the ledger (`webhook_deliveries`)',
  evidence: {
    refused: `deliveries refused in the window, all reasons`,
    missing_signature: 'of them, without the signature header',
    bad_signature: 'of them, with a signature no accepted version of the secret verifies',
    replayed: 'of them, a body accepted before, sent again (a replay, or the platform retrying a delivery it thinks failed)',
    no_secret: 'of them, when the tenant had no webhook signing secret Warden could open',
    window_hours: `the window, in hours (${HOOK_01_WINDOW_HOURS})`,
    window_start: 'the start of the window (as-of minus the window; a refusal at that instant is not counted)',
    last_refused_at: 'when the latest refusal in the window was received',
  },
  check(refusals: readonly WebhookRefusal[], { tenant, asOf }) {
    const start = asOf - HOOK_01_WINDOW_MS;
    const counts: Record<WebhookRefusalReason, number> = { 'missing-signature': 0, 'bad-signature': 0, replayed: 0, 'no-secret': 0 };
    let refused = 0;
    let last = -Infinity;
    for (const r of refusals) {
      // "In the last 24 hours" as docs/rules.md defines "in the last N days": strictly after the start; and not after as-of.
      if (!(r.at > start && r.at <= asOf)) continue;
      counts[r.reason]++;
      refused++;
      if (r.at > last) last = r.at;
    }
    if (refused < HOOK_01_MIN_REFUSALS) return [];
    const reasons = WEBHOOK_REFUSAL_REASONS.filter((r) => counts[r] > 0).map((r) => `${counts[r]} ${r}`);
    return [
      {
        subject: { type: 'tenant', id: tenant, label: tenant },
        title: `Webhook receiver refused ${refused} deliveries in the last ${HOOK_01_WINDOW_HOURS} hours (${reasons.join(', ')})`,
        evidence: {
          refused,
          ...Object.fromEntries(WEBHOOK_REFUSAL_REASONS.map((r) => [FIELD[r], counts[r]])),
          window_hours: HOOK_01_WINDOW_HOURS,
          window_start: iso(start),
          last_refused_at: iso(last),
        },
      },
    ];
  },
});
