/**
 * GDPR erasure requests (the erasure lifecycle: received → purging → purged → verified | failed):
 * `received → purging → purged → verified | failed`, idempotent per (tenant, profile).
 */
import { sql } from 'kysely';
import { InputError } from '../errors.js';
import { json, type ErasureRequest, type ErasureRequestStatus } from './database.js';
import { NotFoundError } from './errors.js';
import type { Db } from './executor.js';
import { requireTenant } from './tenants.repository.js';
import { transition } from './transition.js';

/** GDPR's one month, as docs/rules.md "Definitions" counts it. */
export const ERASURE_DEADLINE_DAYS = 30;

export interface ReceiveErasureInput {
  tenant: string;
  profileId: string;
  /** @defaultValue now */
  at?: Date;
}

/** Records a request, or finds the one already received for the same profile. */
export async function receiveErasureRequest(
  db: Db,
  input: ReceiveErasureInput,
): Promise<{ request: ErasureRequest; created: boolean }> {
  if (input.profileId.trim() === '') throw new InputError('profile_id', 'must not be empty');
  const at = input.at ?? new Date();
  await requireTenant(db, input.tenant);
  const inserted = await db
    .insertInto('erasure_requests')
    .values({
      tenant: input.tenant,
      profile_id: input.profileId,
      received_at: at,
      deadline_at: new Date(at.getTime() + ERASURE_DEADLINE_DAYS * 86_400_000),
    })
    .onConflict((oc) => oc.columns(['tenant', 'profile_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted !== undefined) return { request: inserted, created: true };
  const existing = await db
    .selectFrom('erasure_requests')
    .selectAll()
    .where('tenant', '=', input.tenant)
    .where('profile_id', '=', input.profileId)
    .executeTakeFirstOrThrow();
  return { request: existing, created: false };
}

/** @public kept for a later issue (approvals, erasure, rotation); no command reaches it yet */
export async function getErasureRequest(db: Db, id: number): Promise<ErasureRequest> {
  const row = await db.selectFrom('erasure_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('erasure_request', id);
  return row;
}

/** received | purging | failed → purging: a (re)try of the purge call. */
export function markPurging(db: Db, id: number, at: Date): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, ['received', 'purging', 'failed'], 'purging', {
    purging_at: at,
    attempts: sql`attempts + 1`,
    error: null,
  });
}

/** purging → purged: the platform accepted the purge (not yet proof: verification follows). */
export function markPurged(db: Db, id: number, at: Date): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, ['purging'], 'purged', { purged_at: at });
}

/** purged → verified, with the certificate of erasure (salted hashes of identifiers, never the identifiers). */
export function markVerified(db: Db, id: number, at: Date, certificate: Record<string, unknown>): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, ['purged'], 'verified', {
    verified_at: at,
    certificate: json(certificate),
  });
}

/** Any unfinished step → failed; `error` must not carry the profile's identifiers. */
export function markErasureFailed(db: Db, id: number, at: Date, error: string): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, ['received', 'purging', 'purged'], 'failed', { failed_at: at, error });
}

export interface ListErasureOptions {
  tenant?: string;
  status?: ErasureRequestStatus | readonly ErasureRequestStatus[];
  /** Only requests received before this instant (stuck ones, for the sweep). */
  receivedBefore?: Date;
  /** @defaultValue 1000 */
  limit?: number;
}

export function listErasureRequests(db: Db, options: ListErasureOptions = {}): Promise<ErasureRequest[]> {
  let query = db.selectFrom('erasure_requests').selectAll();
  if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
  if (options.status !== undefined) {
    query = query.where('status', 'in', typeof options.status === 'string' ? [options.status] : [...options.status]);
  }
  if (options.receivedBefore !== undefined) query = query.where('received_at', '<', options.receivedBefore);
  return query.orderBy('received_at').orderBy('id').limit(options.limit ?? 1000).execute();
}
