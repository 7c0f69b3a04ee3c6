// HOOK-01 (docs/rules.md, "Observed rules"): the webhook receiver's refusals, judged by a pure
// function of the refusals and the as-of instant, at its boundaries.
import { describe, expect, it } from 'vitest';
import { DELIVERY_REFUSALS } from '../../../src/db/database.js';
import { evaluateObserved, fingerprint } from '../../../src/rules/engine.js';
import {
  hook01,
  HOOK_01_MIN_REFUSALS,
  HOOK_01_WINDOW_MS,
  WEBHOOK_REFUSAL_REASONS,
  type WebhookRefusal,
  type WebhookRefusalReason,
} from '../../../src/rules/observed/hook-01-webhook-signature-failures.js';
import { AS_OF, AS_OF_MS } from '../../support/snapshot-builder.js';

const TENANT = 'acme';
const HOUR_MS = 3_600_000;

/** `n` refusals for `reason`, the latest `msAgo` before as-of, one second apart going back. */
function refusals(n: number, reason: WebhookRefusalReason = 'bad-signature', msAgo = HOUR_MS): WebhookRefusal[] {
  return Array.from({ length: n }, (_, i) => ({ reason, at: AS_OF_MS - msAgo - i * 1000 }));
}

const judge = (observed: readonly WebhookRefusal[], asOf = AS_OF_MS) => evaluateObserved(hook01, observed, TENANT, asOf);

describe('HOOK-01 webhook-signature-failures', () => {
  it(`fires at ${HOOK_01_MIN_REFUSALS} refusals in the window, not at ${HOOK_01_MIN_REFUSALS - 1}`, () => {
    expect(HOOK_01_MIN_REFUSALS).toBe(5);
    expect(judge([])).toEqual([]);
    expect(judge(refusals(4))).toEqual([]);
    const [finding, ...rest] = judge(refusals(5));
    expect(rest).toEqual([]);
    expect(finding).toEqual({
      rule: 'HOOK-01',
      name: 'webhook-signature-failures',
      severity: 'high',
      subject: { type: 'tenant', id: TENANT, label: TENANT },
      title: 'Webhook receiver refused 5 deliveries in the last 24 hours (5 bad-signature)',
      evidence: {
        refused: 5,
        missing_signature: 0,
        bad_signature: 5,
        replayed: 0,
        no_secret: 0,
        window_hours: 24,
        window_start: '2026-11-28T00:00:00.000Z',
        last_refused_at: '2026-11-28T23:00:00.000Z',
      },
      action: 'review',
      requires_approval: false,
      // The engine's fingerprint of (rule, tenant, subject): stable from run to run whatever the counts.
      fingerprint: fingerprint('HOOK-01', TENANT, 'tenant', TENANT),
    });
    expect(judge(refusals(40))).toHaveLength(1);
  });

  it('counts a refusal 24 h − 1 s ago, not one 24 h or 24 h + 1 s ago, nor one after as-of', () => {
    const four = refusals(4);
    const at = (msAgo: number): WebhookRefusal => ({ reason: 'replayed', at: AS_OF_MS - msAgo });
    expect(judge([...four, at(HOOK_01_WINDOW_MS - 1000)])).toHaveLength(1);
    expect(judge([...four, at(HOOK_01_WINDOW_MS + 1000)])).toEqual([]);
    expect(judge([...four, at(HOOK_01_WINDOW_MS)])).toEqual([]);
    expect(judge([...four, at(-1000)])).toEqual([]);
    // At as-of itself it counts, and it is the latest.
    expect(judge([...four, at(0)])[0]!.evidence).toMatchObject({ refused: 5, replayed: 1, last_refused_at: AS_OF });
    // The same refusals, judged 1 s later: the oldest has left the window.
    const edge = [...four, at(HOOK_01_WINDOW_MS - 1000)];
    expect(judge(edge, AS_OF_MS + 1000)).toEqual([]);
  });

  it('counts each reason, and all of them towards the threshold', () => {
    const mixed = [
      ...refusals(1, 'missing-signature'),
      ...refusals(2, 'bad-signature', 2 * HOUR_MS),
      ...refusals(3, 'replayed', 3 * HOUR_MS),
      ...refusals(4, 'no-secret', 30 * 60_000),
      // Out of the window: counted under no reason.
      ...refusals(7, 'bad-signature', HOOK_01_WINDOW_MS + 1000),
    ];
    const [finding] = judge(mixed);
    expect(finding!.evidence).toEqual({
      refused: 10,
      missing_signature: 1,
      bad_signature: 2,
      replayed: 3,
      no_secret: 4,
      window_hours: 24,
      window_start: '2026-11-28T00:00:00.000Z',
      last_refused_at: '2026-11-28T23:30:00.000Z',
    });
    expect(finding!.title).toBe('Webhook receiver refused 10 deliveries in the last 24 hours (1 missing-signature, 2 bad-signature, 3 replayed, 4 no-secret)');
    // Four of any one reason are below the threshold, five are not.
    for (const reason of WEBHOOK_REFUSAL_REASONS) {
      expect(judge(refusals(4, reason)), reason).toEqual([]);
      expect(judge(refusals(5, reason))[0]!.evidence, reason).toMatchObject({ refused: 5 });
    }
  });

  it('gives every evidence field it declares, in order, and knows every reason the ledger records', () => {
    const [finding] = judge(refusals(5));
    expect(Object.keys(finding!.evidence)).toEqual(Object.keys(hook01.evidence));
    expect([...WEBHOOK_REFUSAL_REASONS].sort()).toEqual([...DELIVERY_REFUSALS].sort());
  });

  it('is pure: the same refusals in another order give the same finding, and the input is not changed', () => {
    const observed = [...refusals(3, 'missing-signature'), ...refusals(3, 'replayed', 5 * HOUR_MS)];
    const copy = structuredClone(observed);
    const first = judge(observed);
    expect(judge([...observed].reverse())).toEqual(first);
    expect(observed).toEqual(copy);
  });
});
