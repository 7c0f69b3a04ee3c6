/**
 * Suppressions: a person's reasoned, expiring decision to stop hearing about one
 * finding. Each suppression and each lift is written to the audit log in the
 * same transaction, with its author, reason and expiry.
 */
import { InputError } from '../errors.js';
import { appendAuditLog } from './audit-log.repository.js';
import type { Suppression } from './database.js';
import { inTransaction, type Db } from './executor.js';
import { requireTenant, SYSTEM_ACTOR } from './tenants.repository.js';

export interface SuppressInput {
  tenant: string;
  fingerprint: string;
  reason: string;
  author: string;
  expiresAt: Date;
  /** @defaultValue now */
  at?: Date;
}

/** Creates or replaces the suppression of one finding. */
export async function suppressFinding(db: Db, input: SuppressInput): Promise<Suppression> {
  const at = input.at ?? new Date();
  if (input.reason.trim() === '') throw new InputError('reason', 'must not be empty');
  if (input.author.trim() === '') throw new InputError('author', 'must not be empty');
  if (!(input.expiresAt.getTime() > at.getTime())) throw new InputError('expires_at', 'must be in the future');
  const values = {
    tenant: input.tenant,
    fingerprint: input.fingerprint,
    reason: input.reason,
    author: input.author,
    created_at: at,
    expires_at: input.expiresAt,
  };
  return inTransaction(db, async (trx) => {
    await requireTenant(trx, input.tenant);
    const row = await trx
      .insertInto('suppressions')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['tenant', 'fingerprint']).doUpdateSet({
          reason: values.reason,
          author: values.author,
          created_at: values.created_at,
          expires_at: values.expires_at,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAuditLog(trx, {
      actor: row.author,
      action: 'finding.suppressed',
      subject: suppressionSubject(row.tenant, row.fingerprint),
      details: { reason: row.reason, expires_at: row.expires_at.toISOString() },
    });
    return row;
  });
}

/**
 * The audit-log subject of a finding's suppressions, `finding:TENANT/FINGERPRINT`.
 * A finding's fingerprint is a hash (src/rules/engine.ts), never the subject's own identifier.
 */
export function suppressionSubject(tenant: string, fingerprint: string): string {
  return `finding:${tenant}/${fingerprint}`;
}

/**
 * Lifts a suppression; false when there was none (and nothing is logged).
 * @param actor - who: a person's login, or `cli` @defaultValue `system`
 */
export async function liftSuppression(db: Db, tenant: string, fingerprint: string, actor: string = SYSTEM_ACTOR): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const lifted = await trx
      .deleteFrom('suppressions')
      .where('tenant', '=', tenant)
      .where('fingerprint', '=', fingerprint)
      .returning(['reason', 'expires_at'])
      .executeTakeFirst();
    if (lifted === undefined) return false;
    await appendAuditLog(trx, {
      actor,
      action: 'finding.unsuppressed',
      subject: suppressionSubject(tenant, fingerprint),
      details: { reason: lifted.reason, expires_at: lifted.expires_at.toISOString() },
    });
    return true;
  });
}

/** Suppressions of a tenant still in force at `at`. */
export function activeSuppressions(db: Db, tenant: string, at: Date = new Date()): Promise<Suppression[]> {
  return db
    .selectFrom('suppressions')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('expires_at', '>', at)
    .orderBy('expires_at')
    .execute();
}
