/**
 * The two secrets the platform holds and no API sets (docs/architecture.md
 * "Secret rotation"): the webhook signing secret and the barcode secret. The
 * platform's support changes them, so `set` is the admins' email (the
 * engine's) and `test` waits, on a backoff, until the platform is seen
 * using the new value from the outside:
 *
 * - webhook-signing: Warden's receiver verified a delivery signed with the
 *   pending version (it records which version verified each one);
 * - barcode: the platform's barcode service answers an image for a query
 *   signed with the pending version.
 *
 * Their consumers are seen by the test itself (the receiver is the webhook's
 * consumer; the barcode links the tenant's apps make are not visible to Warden).
 */
import { randomUUID } from 'node:crypto';
import { signBarcodeQuery } from '../secrets/hmac.js';
import { getVersionById } from '../db/secret-versions.repository.js';
import { newValue } from './secret-values.js';
import { DONE, type Rotator } from './rotator.js';

export const webhookSigningRotator: Rotator = {
  kind: 'webhook-signing',
  overlaps: true,
  create: () => Promise.resolve({ value: newValue('webhook-signing') }),
  set: () => Promise.resolve(DONE),
  async test(ctx, pending) {
    const version = await getVersionById(ctx.db, pending.id);
    if (version.first_seen_at !== null) return { done: true, detail: { first_delivery_at: version.first_seen_at.toISOString() } };
    return { done: false, waitingFor: 'a webhook delivery signed with the new secret (the platform’s support switches it; the admins were sent the request)' };
  },
  consumersSeen: () => Promise.resolve(DONE),
};

export const barcodeRotator: Rotator = {
  kind: 'barcode',
  overlaps: true,
  create: () => Promise.resolve({ value: newValue('barcode') }),
  set: () => Promise.resolve(DONE),
  async test(ctx, pending) {
    // A query of its own each time: nothing cached answers for the new secret.
    const query = `code=WARDEN-ROTATION-${ctx.rotation.id}&nonce=${randomUUID()}`;
    const answer = await ctx.barcode().fetchBarcode(signBarcodeQuery(ctx.open(pending), query));
    if (answer === 'image') return { done: true, detail: { barcode: 'image' } };
    return { done: false, waitingFor: 'the platform’s barcode service to accept the new secret (the platform’s support adds it; the admins were sent the request)' };
  },
  consumersSeen: () => Promise.resolve(DONE),
};
