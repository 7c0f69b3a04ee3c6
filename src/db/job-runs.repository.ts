/** `job_runs`: every run of every job is a row before it is a job (DESIGN.md principle 1). */
import { sql } from 'kysely';
import { json, type JobRun, type JobRunStatus } from './database.js';
import type { Db } from './executor.js';
import { requireTenant } from './tenants.repository.js';
import { transition } from './transition.js';
import { NotFoundError } from './errors.js';

export interface CreateRunInput {
  kind: string;
  /** Null for fleet-wide jobs such as `reconcile`. */
  tenant: string | null;
  scheduledFor: Date;
  /** Ids only: this is what `reconcile` re-enqueues. @defaultValue `{}` */
  payload?: Record<string, unknown>;
  /** The same key always finds the same run, e.g. `stale-accounts:acme:2026-11-29T00:00Z`. */
  idempotencyKey: string;
}

/**
 * Records a run, or finds the one already recorded under its idempotency key:
 * a re-delivered job must not make a second run.
 */
export async function createRun(db: Db, input: CreateRunInput): Promise<{ run: JobRun; created: boolean }> {
  if (input.tenant !== null) await requireTenant(db, input.tenant);
  const inserted = await db
    .insertInto('job_runs')
    .values({
      kind: input.kind,
      tenant: input.tenant,
      scheduled_for: input.scheduledFor,
      payload: json(input.payload ?? {}),
      idempotency_key: input.idempotencyKey,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted !== undefined) return { run: inserted, created: true };
  const existing = await db
    .selectFrom('job_runs')
    .selectAll()
    .where('idempotency_key', '=', input.idempotencyKey)
    .executeTakeFirstOrThrow();
  return { run: existing, created: false };
}

export async function getRun(db: Db, id: number): Promise<JobRun> {
  const run = await db.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (run === undefined) throw new NotFoundError('job_run', id);
  return run;
}

/** queued → running; also running → running (a stalled job re-delivered) and failed → running (a retry). */
export function startRun(db: Db, id: number, at: Date): Promise<JobRun> {
  return transition(db, 'job_runs', id, ['queued', 'running', 'failed'], 'running', {
    started_at: at,
    finished_at: null,
    error: null,
    attempts: sql`attempts + 1`,
  });
}

export function finishRun(db: Db, id: number, result: { at: Date; counts: Record<string, number> }): Promise<JobRun> {
  return transition(db, 'job_runs', id, ['running'], 'succeeded', {
    finished_at: result.at,
    counts: json(result.counts),
    error: null,
  });
}

/** `error` is shown to operators: a message with ids, never personal data or secret values. */
export function failRun(db: Db, id: number, result: { at: Date; error: string }): Promise<JobRun> {
  return transition(db, 'job_runs', id, ['queued', 'running'], 'failed', {
    finished_at: result.at,
    error: result.error,
  });
}

export interface ListRunsOptions {
  tenant?: string;
  kind?: string;
  status?: JobRunStatus | readonly JobRunStatus[];
  /** Only runs scheduled before this instant (e.g. queued work old enough to be missing from Redis). */
  scheduledBefore?: Date;
  /** @defaultValue 100 */
  limit?: number;
}

/** Newest first. */
export function listRuns(db: Db, options: ListRunsOptions = {}): Promise<JobRun[]> {
  let query = db.selectFrom('job_runs').selectAll();
  if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
  if (options.kind !== undefined) query = query.where('kind', '=', options.kind);
  if (options.status !== undefined) {
    const statuses: readonly JobRunStatus[] = typeof options.status === 'string' ? [options.status] : options.status;
    query = query.where('status', 'in', statuses);
  }
  if (options.scheduledBefore !== undefined) query = query.where('scheduled_for', '<', options.scheduledBefore);
  return query
    .orderBy('scheduled_for', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 100)
    .execute();
}
