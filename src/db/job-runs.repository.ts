/** `job_runs`: every run of every job is a row before it is a job (docs/architecture.md "Principles"). */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { json, type JobRun, type JobRunStatus } from './database.js';
import type { Db } from './executor.js';
import { requireTenant } from './tenants.repository.js';
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

/*
 * The run state machine, the only one (docs/architecture.md "A run's life"):
 *
 *   queued ──claimRun──▶ running ──endAttempt──▶ succeeded | failed
 *     ▲                     │
 *     └──── endAttempt ─────┘  (the attempt failed and will be retried)
 *
 * A run is addressed by its run key (`idempotency_key`, the queue's run id).
 * Every step is one compare-and-set statement, so of two workers racing over a
 * run exactly one wins, and leases are measured on the database's clock alone.
 * A claim is a lease held by a claim token (`lease_owner`) and renewed by the
 * holder's heartbeat; it is taken over only once `lease_until` has passed.
 */

/**
 * Records many on-demand runs of one kind in one statement per 1 000 (an
 * import's runs, written in the same transaction as the rows they work on).
 * The tenant must exist; run keys must be new.
 */
export async function createRuns(db: Db, kind: string, runs: readonly { runKey: string; tenant: string | null; payload: Record<string, unknown> }[], at: Date): Promise<void> {
  for (let i = 0; i < runs.length; i += 1000) {
    const chunk = runs.slice(i, i + 1000);
    if (chunk.length === 0) continue;
    await db
      .insertInto('job_runs')
      .values(chunk.map((r) => ({ kind, tenant: r.tenant, scheduled_for: at, payload: json(r.payload), idempotency_key: r.runKey })))
      .execute();
  }
}

/**
 * Records a run that its own command carries out there and then (`warden
 * scan`): `running` since `startedAt`, never `queued`, so that no worker or
 * reconcile takes it. {@link endAttempt} ends it: call both in one
 * transaction, and no one ever sees it unfinished.
 */
export function recordRunningRun(db: Db, input: { kind: string; tenant: string; runKey: string; payload: Record<string, unknown>; startedAt: Date }): Promise<JobRun> {
  return db
    .insertInto('job_runs')
    .values({
      kind: input.kind,
      tenant: input.tenant,
      scheduled_for: input.startedAt,
      status: 'running',
      attempts: 1,
      started_at: input.startedAt,
      payload: json(input.payload),
      idempotency_key: input.runKey,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A row by its run key, or undefined. */
export function findRun(db: Db, runKey: string): Promise<JobRun | undefined> {
  return db.selectFrom('job_runs').selectAll().where('idempotency_key', '=', runKey).executeTakeFirst();
}

/** `job_runs.id` of the run with this run key, or undefined. */
export async function runIdOf(db: Db, runKey: string): Promise<number | undefined> {
  return (await db.selectFrom('job_runs').select('id').where('idempotency_key', '=', runKey).executeTakeFirst())?.id;
}

/** Postgres interval of `ms` milliseconds, for lease arithmetic on the database's clock. */
const interval = (ms: number) => sql<string>`make_interval(secs => ${ms / 1000})`;

/**
 * Claims the run for its `attempt`-th attempt under the claim token `owner`:
 * `queued → running`, or `running → running` when the holder's lease has
 * expired by the database's clock (its runner died, stalled or lost its
 * database). The lease lasts `leaseMs` and is renewed by {@link renewLease}.
 * Resolves false, and changes nothing, when the run is unknown, final, or
 * running under a live lease.
 * @param owner - the attempt's claim token. @defaultValue a fresh random token
 */
export async function claimRun(db: Db, runKey: string, attempt: number, leaseMs: number, owner: string = randomUUID()): Promise<boolean> {
  const row = await db
    .updateTable('job_runs')
    .set({
      status: 'running',
      attempts: attempt,
      started_at: sql<Date>`now()`,
      finished_at: null,
      lease_owner: owner,
      lease_until: sql<Date>`now() + ${interval(leaseMs)}`,
      heartbeat_at: sql<Date>`now()`,
    })
    .where('idempotency_key', '=', runKey)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([
          eb('status', '=', 'running'),
          eb.or([
            eb('lease_until', '<', sql<Date>`now()`),
            // A row claimed before leases existed: its start is all there is to go by.
            eb.and([eb('lease_until', 'is', null), eb.or([eb('started_at', 'is', null), eb('started_at', '<', sql<Date>`now() - ${interval(leaseMs)}`)])]),
          ]),
        ]),
      ]),
    )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}


/**
 * The holder's heartbeat: extends its lease to `leaseMs` from now (database
 * clock). Resolves false when the run is no longer this owner's (taken over,
 * settled by reconcile, or final): the holder must stop.
 */
export async function renewLease(db: Db, runKey: string, owner: string, leaseMs: number): Promise<boolean> {
  const row = await db
    .updateTable('job_runs')
    .set({ lease_until: sql<Date>`now() + ${interval(leaseMs)}`, heartbeat_at: sql<Date>`now()` })
    .where('idempotency_key', '=', runKey)
    .where('status', '=', 'running')
    .where('lease_owner', '=', owner)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** How an attempt ended: for good, or back to `queued` for a retry. */
export type AttemptEnd = 'succeeded' | 'failed' | 'queued';

/**
 * Ends an attempt: `succeeded` or `failed` for good, or back to `queued` when it
 * failed and will be retried (the error is kept). Only an unfinished run moves,
 * and with `owner` only while that claim still holds it (a holder that lost its
 * lease must not settle the run its successor is executing); resolves false
 * otherwise. `error` is shown to operators: a message with ids, never personal
 * data or secret values.
 */
export async function endAttempt(
  db: Db,
  runKey: string,
  result: { status: AttemptEnd; counts: Record<string, number>; error: string | null; owner?: string },
): Promise<boolean> {
  let query = db
    .updateTable('job_runs')
    .set({
      status: result.status,
      counts: json(result.counts),
      error: result.error,
      finished_at: result.status === 'queued' ? null : sql<Date>`now()`,
      lease_owner: null,
      lease_until: null,
    })
    .where('idempotency_key', '=', runKey)
    .where('status', 'in', ['queued', 'running']);
  if (result.owner !== undefined) query = query.where('lease_owner', '=', result.owner);
  const row = await query.returning('id').executeTakeFirst();
  return row !== undefined;
}

/**
 * Reconcile's settlement of a run its transport gave up on or finished without
 * the ledger hearing of it: back to `queued` (it will be retried) or `failed`,
 * with the reason. Only a `queued` run, or a `running` one whose lease has
 * expired, moves: a live holder keeps its run. Resolves false otherwise.
 */
export async function settleRun(db: Db, runKey: string, status: 'queued' | 'failed', error: string): Promise<boolean> {
  const row = await db
    .updateTable('job_runs')
    .set({ status, error, finished_at: status === 'failed' ? sql<Date>`now()` : null, lease_owner: null, lease_until: null })
    .where('idempotency_key', '=', runKey)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([eb('status', '=', 'running'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)])]),
      ]),
    )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Unfinished runs (`queued` or `running`), oldest first: what reconcile compares with the queue.
 * @param limit - runs looked at in one pass; more wait for the next one. @defaultValue 10000
 */
export function listUnfinishedRuns(db: Db, { limit = 10_000 }: { limit?: number } = {}): Promise<JobRun[]> {
  return db
    .selectFrom('job_runs')
    .selectAll()
    .where('status', 'in', ['queued', 'running'])
    .orderBy('scheduled_for')
    .orderBy('id')
    .limit(limit)
    .execute();
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
