/**
 * The verifier of an Omneo webhook delivery, for Warden's own receiver and for
 * the receivers tenants run (exported as `warden/webhook-verifier`, see
 * docs/operations.md "Verifying webhooks"). It takes the raw body exactly as
 * received (before any JSON parsing: a re-serialised body no longer matches),
 * the `X-Omneo-Hmac-SHA256` header, and the secrets to accept, newest first
 * (during a rotation: pending, current and previous).
 *
 * Every secret is tried, whatever matched first, and each comparison takes
 * the same time, so the answer's timing tells nothing about the secrets.
 * No dependency beyond `node:crypto`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a delivery was refused. */
export type WebhookRefusal = 'missing-signature' | 'bad-signature';

export type WebhookVerdict =
  /** `index`: which of the secrets given signed it (the first that did, when two are equal). */
  | { ok: true; index: number }
  | { ok: false; reason: WebhookRefusal };

const SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * Whether `rawBody` was signed with one of `secrets`.
 * @param signature - the header's value; `undefined`, empty or an array (the header sent twice) is missing or bad
 */
export function verifyWebhook(rawBody: string | Uint8Array, signature: string | readonly string[] | undefined, secrets: readonly (string | Uint8Array)[]): WebhookVerdict {
  if (signature === undefined || signature === '') return { ok: false, reason: 'missing-signature' };
  // Sent twice: which one would the platform mean? Neither.
  if (typeof signature !== 'string') return { ok: false, reason: 'bad-signature' };
  const given = signature.trim().toLowerCase();
  if (!SIGNATURE.test(given)) return { ok: false, reason: 'bad-signature' };
  const expected = Buffer.from(given, 'hex');
  let index = -1;
  secrets.forEach((secret, i) => {
    const mac = createHmac('sha256', secret).update(rawBody).digest();
    if (timingSafeEqual(mac, expected) && index < 0) index = i;
  });
  return index < 0 ? { ok: false, reason: 'bad-signature' } : { ok: true, index };
}
