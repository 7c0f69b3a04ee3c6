/** Suppressions: a person's reasoned, expiring decision to stop hearing about one finding. */
import { InputError } from '../errors.js';
import type { Suppression } from './database.js';
import type { Db } from './executor.js';
import { requireTenant } from './tenants.repository.js';

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
  await requireTenant(db, input.tenant);
  const values = {
    tenant: input.tenant,
    fingerprint: input.fingerprint,
    reason: input.reason,
    author: input.author,
    created_at: at,
    expires_at: input.expiresAt,
  };
  return db
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
}

/** Lifts a suppression; false when there was none. */
export async function liftSuppression(db: Db, tenant: string, fingerprint: string): Promise<boolean> {
  const result = await db
    .deleteFrom('suppressions')
    .where('tenant', '=', tenant)
    .where('fingerprint', '=', fingerprint)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
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
