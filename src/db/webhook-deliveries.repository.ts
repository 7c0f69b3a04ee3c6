/**
 * What Warden's webhook receiver saw (docs/architecture.md "Secret rotation"):
 * each delivery accepted (with the secret version that verified it) or
 * refused (and why). Only the body's SHA-256 and size are kept, never the
 * body: it carries customer data. A body accepted once is never accepted
 * again (a replay), which a partial unique index decides even between two
 * receivers at once.
 */
import { sql } from 'kysely';
import type { DeliveryRefusal, SecretLabel, WebhookDelivery } from './database.js';
import { inTransaction, type Db } from './executor.js';

export interface DeliveryInput {
  tenant: string;
  at: Date;
  bodySha256: string;
  bytes: number;
}

/**
 * Records an accepted delivery and marks its version seen, in one
 * transaction; a body accepted before is recorded as refused (`replayed`) instead.
 * @returns `accepted`, or `replayed`
 */
export async function recordAccepted(db: Db, input: DeliveryInput, version: { id: number; label: SecretLabel }): Promise<'accepted' | 'replayed'> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .insertInto('webhook_deliveries')
      .values({ tenant: input.tenant, received_at: input.at, accepted: true, version_id: version.id, label: version.label, reason: null, body_sha256: input.bodySha256, bytes: input.bytes })
      .onConflict((oc) => oc.columns(['tenant', 'body_sha256']).where('accepted', '=', true).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row === undefined) {
      await recordRefused(trx, input, 'replayed');
      return 'replayed';
    }
    await trx
      .updateTable('secret_versions')
      .set({ first_seen_at: sql`coalesce(first_seen_at, ${input.at})`, last_seen_at: input.at })
      .where('id', '=', version.id)
      .execute();
    return 'accepted';
  });
}

export async function recordRefused(db: Db, input: DeliveryInput, reason: DeliveryRefusal): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values({ tenant: input.tenant, received_at: input.at, accepted: false, version_id: null, label: null, reason, body_sha256: input.bodySha256, bytes: input.bytes })
    .execute();
}

/** The tenant's latest deliveries, newest first (the secrets page). */
export function recentDeliveries(db: Db, tenant: string, limit = 50): Promise<WebhookDelivery[]> {
  return db.selectFrom('webhook_deliveries').selectAll().where('tenant', '=', tenant).orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/**
 * The tenant's refused deliveries received after `after` and up to `until`,
 * each with its reason and instant, oldest first: what an observed rule counts
 * (src/rules/observed/hook-01-webhook-signature-failures.ts). Two columns a
 * row, from the (tenant, received_at) index.
 */
export function refusalsWithin(db: Db, tenant: string, window: { after: Date; until: Date }): Promise<{ reason: DeliveryRefusal; received_at: Date }[]> {
  return db
    .selectFrom('webhook_deliveries')
    .select(['reason', 'received_at'])
    .where('tenant', '=', tenant)
    .where('accepted', '=', false)
    .where('received_at', '>', window.after)
    .where('received_at', '<=', window.until)
    .orderBy('received_at')
    .$narrowType<{ reason: DeliveryRefusal }>()
    .execute();
}
