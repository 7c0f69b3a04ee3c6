/**
 * The care tags the data-handling job adds itself (docs/architecture.md "Care
 * tags"): each effect is claimed by (tenant, profile, tag match) before the
 * platform is called, and ended with the re-read's verdict and its audit-log
 * entries in one transaction.
 */
import { sql } from 'kysely';
import { json, type CareTagOutcome } from './database.js';
import { appendAuditLog } from './audit-log.repository.js';
import { inTransaction, type Db } from './executor.js';

export interface CareTagClaimInput {
  tenant: string;
  profileId: string;
  /** The tag as it is to be added. */
  tag: string;
  /** Its tag match (trimmed, lower-cased). */
  tagKey: string;
  /** The CARE-01 finding it fixes. */
  fingerprint: string;
  /** The claiming run (`job_runs.idempotency_key`). */
  runKey: string;
  at: Date;
}

/** How {@link claimCareTag} ended. */
export type CareTagClaim =
  /** This run holds the effect (new, its own from an earlier attempt, or left by a run that has ended). */
  | { state: 'claimed'; id: number }
  /** Done before (verified, or not verified: never tried again). */
  | { state: 'ended'; id: number; outcome: CareTagOutcome }
  /** Another live run holds it now. */
  | { state: 'held'; id: number };

/**
 * Claims the effect for `runKey`, in one statement: a new row, or one that has
 * not ended and whose run is this one or is no longer queued or running (it
 * died mid-effect: adding a tag again is harmless, so its successor carries on).
 */
export async function claimCareTag(db: Db, input: CareTagClaimInput): Promise<CareTagClaim> {
  const claimed = await db
    .insertInto('care_tag_effects')
    .values({
      tenant: input.tenant,
      profile_id: input.profileId,
      tag: input.tag,
      tag_key: input.tagKey,
      fingerprint: input.fingerprint,
      run_key: input.runKey,
      claimed_at: input.at,
      detail: json({}),
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant', 'profile_id', 'tag_key'])
        .doUpdateSet({ run_key: input.runKey, claimed_at: input.at })
        .where('care_tag_effects.outcome', 'is', null)
        .where((eb) =>
          eb.or([
            eb('care_tag_effects.run_key', '=', input.runKey),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('job_runs as r')
                  .select(sql`1`.as('one'))
                  .whereRef('r.idempotency_key', '=', 'care_tag_effects.run_key')
                  .where('r.status', 'in', ['queued', 'running']),
              ),
            ),
          ]),
        ),
    )
    .returning('id')
    .executeTakeFirst();
  if (claimed !== undefined) return { state: 'claimed', id: claimed.id };
  const row = await db
    .selectFrom('care_tag_effects')
    .select(['id', 'outcome'])
    .where('tenant', '=', input.tenant)
    .where('profile_id', '=', input.profileId)
    .where('tag_key', '=', input.tagKey)
    .executeTakeFirstOrThrow();
  return row.outcome === null ? { state: 'held', id: row.id } : { state: 'ended', id: row.id, outcome: row.outcome };
}

export interface CareTagEnd {
  /** The actor of the audit-log entries: `system:data-handling`. */
  actor: string;
  tenant: string;
  /** The tag as added. */
  tag: string;
  fingerprint: string;
  /** The run, as the ledger names it. */
  runKey: string;
  /** The act: whether Warden changed the profile's tags, and the call it made. Null when it made none (already tagged, or the profile was gone). */
  act: { call: string; answer: string } | null;
  verification: { outcome: CareTagOutcome; check: string; result: string };
  at: Date;
}

/**
 * Ends a claimed effect: the row gets its outcome, and the audit log the
 * change (`care.tag_added`, when a call was made) and the verification
 * (`care.tag_verified` or `care.tag_not_verified`), in one transaction. The
 * entries name the effect and the finding, never the profile: the audit log
 * is append-only, and a profile id written there could never be erased.
 * @returns false when the effect was not this run's to end (another run took it over)
 */
export async function endCareTag(db: Db, id: number, end: CareTagEnd): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('care_tag_effects')
      .set({
        outcome: end.verification.outcome,
        ended_at: end.at,
        detail: json({ act: end.act, verification: { check: end.verification.check, result: end.verification.result } }),
      })
      .where('id', '=', id)
      .where('run_key', '=', end.runKey)
      .where('outcome', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (row === undefined) return false;
    const base = { tenant: end.tenant, rule: 'CARE-01', finding: end.fingerprint, tag: end.tag, run: end.runKey };
    const subject = `care_tag:${id}`;
    if (end.act !== null) {
      await appendAuditLog(trx, { actor: end.actor, action: 'care.tag_added', subject, details: { ...base, call: end.act.call, answer: end.act.answer }, at: end.at });
    }
    const verified = end.verification.outcome === 'verified';
    await appendAuditLog(trx, {
      actor: end.actor,
      action: verified ? 'care.tag_verified' : 'care.tag_not_verified',
      subject,
      details: { ...base, check: end.verification.check, result: end.verification.result },
      at: end.at,
    });
    return true;
  });
}
