/**
 * `run_effects`: the side effects of runs (an email sent, later a removal or a
 * purge), keyed by (run key, effect key). Its intent is recorded before the
 * effect is done and its completion after, so a re-executed run finds it and
 * does not repeat it (docs/architecture.md "A run's life": at-least-once
 * execution, exactly-once effects).
 */
import { sql } from 'kysely';
import { json, type RunEffect } from './database.js';
import type { Db } from './executor.js';

/**
 * What {@link beginEffect} found:
 * - `begun`: the intent is recorded; the caller does the effect, then {@link completeEffect};
 * - `done`: an earlier attempt did it (its `result` is returned);
 * - `interrupted`: an earlier attempt recorded the intent but never its completion (it died mid-effect);
 * - `lost`: the caller no longer holds the run's lease and must not start anything.
 */
export type EffectStart =
  | { state: 'begun' }
  | { state: 'done'; result: unknown }
  | { state: 'interrupted'; attempt: number; startedAt: Date }
  | { state: 'lost' };

/**
 * Records the intent of the effect `effectKey` of run `runKey`, in one
 * statement that also checks the caller's claim (`owner`, lease not expired by
 * the database's clock): a holder that lost its lease cannot begin an effect.
 */
export async function beginEffect(db: Db, runKey: string, effectKey: string, owner: string, attempt: number): Promise<EffectStart> {
  const inserted = await db
    .insertInto('run_effects')
    .columns(['run_key', 'effect_key', 'attempt'])
    .expression((eb) =>
      eb
        .selectFrom('job_runs')
        .select([eb.val(runKey).as('run_key'), eb.val(effectKey).as('effect_key'), eb.val(attempt).as('attempt')])
        .where('idempotency_key', '=', runKey)
        .where('status', '=', 'running')
        .where('lease_owner', '=', owner)
        .where('lease_until', '>', sql<Date>`now()`),
    )
    .onConflict((oc) => oc.columns(['run_key', 'effect_key']).doNothing())
    .returning('run_key')
    .executeTakeFirst();
  if (inserted !== undefined) return { state: 'begun' };
  const existing = await findEffect(db, runKey, effectKey);
  if (existing === undefined) return { state: 'lost' };
  if (existing.status === 'done') return { state: 'done', result: existing.result };
  return { state: 'interrupted', attempt: existing.attempt, startedAt: existing.started_at };
}

/** Records that the effect happened (whoever holds the run now: it did happen). */
export async function completeEffect(db: Db, runKey: string, effectKey: string, result: unknown): Promise<void> {
  await db
    .updateTable('run_effects')
    .set({ status: 'done', done_at: sql<Date>`now()`, result: result === undefined ? null : json(result) })
    .where('run_key', '=', runKey)
    .where('effect_key', '=', effectKey)
    .execute();
}

/**
 * Forgets the intent of an effect whose function failed (threw): it is taken
 * as not done, and the run's retry does it again. Only an unfinished effect goes.
 */
export async function abandonEffect(db: Db, runKey: string, effectKey: string): Promise<void> {
  await db.deleteFrom('run_effects').where('run_key', '=', runKey).where('effect_key', '=', effectKey).where('status', '=', 'started').execute();
}

export function findEffect(db: Db, runKey: string, effectKey: string): Promise<RunEffect | undefined> {
  return db.selectFrom('run_effects').selectAll().where('run_key', '=', runKey).where('effect_key', '=', effectKey).executeTakeFirst();
}

/** Every effect of a run, in the order they were begun. */
export function listEffects(db: Db, runKey: string): Promise<RunEffect[]> {
  return db.selectFrom('run_effects').selectAll().where('run_key', '=', runKey).orderBy('started_at').orderBy('effect_key').execute();
}
