/**
 * The run ledger on Postgres (or PGlite): `job_runs`, keyed for the queue by
 * `idempotency_key` = the run id = the BullMQ job id, so a re-delivered job
 * finds its row instead of making a second one.
 */
import { sql } from 'kysely';
import { json, type JobRun } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { createRun as insertRun, listRuns } from '../db/job-runs.repository.js';
import type { FinalStatus, NewRun, RunCounts, RunLedger, RunRecord } from './run-ledger.js';

/** Unfinished runs reconcile looks at in one pass; more wait for the next tick. */
const UNFINISHED_BATCH = 10_000;

export class PgRunLedger implements RunLedger {
  constructor(private readonly db: Db) {}

  async createRun(run: NewRun): Promise<boolean> {
    const payload = run.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new TypeError(`payload of a ${run.kind} run must be a JSON object`);
    }
    const { created } = await insertRun(this.db, {
      kind: run.kind,
      tenant: run.tenant,
      // The table wants an instant for every run: an on-demand run is scheduled for when it was asked for.
      scheduledFor: run.scheduledFor ?? new Date(),
      payload: payload as Record<string, unknown>,
      idempotencyKey: run.id,
    });
    return created;
  }

  async markRunning(id: string, attempt: number, leaseMs: number): Promise<boolean> {
    // Compare-and-set in one statement: of two claimers, exactly one updates the row. The lease is
    // measured on the database's clock alone (started_at is set from it too), so process clocks do not matter.
    const row = await this.db
      .updateTable('job_runs')
      .set({ status: 'running', attempts: attempt, started_at: sql<Date>`now()`, finished_at: null })
      .where('idempotency_key', '=', id)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'queued'),
          eb.and([
            eb('status', '=', 'running'),
            eb.or([eb('started_at', 'is', null), eb('started_at', '<', sql<Date>`now() - make_interval(secs => ${leaseMs / 1000})`)]),
          ]),
        ]),
      )
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async finish(id: string, status: FinalStatus | 'queued', counts: RunCounts, error: string | null): Promise<void> {
    await this.db
      .updateTable('job_runs')
      .set({
        status,
        counts: json(counts),
        error,
        finished_at: status === 'queued' ? null : new Date(),
      })
      .where('idempotency_key', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .execute();
  }

  async listUnfinished(): Promise<RunRecord[]> {
    const rows = await this.db
      .selectFrom('job_runs')
      .selectAll()
      .where('status', 'in', ['queued', 'running'])
      .orderBy('scheduled_for')
      .orderBy('id')
      .limit(UNFINISHED_BATCH)
      .execute();
    return rows.map(toRecord);
  }

  async listRecent(limit: number): Promise<RunRecord[]> {
    return (await listRuns(this.db, { limit })).map(toRecord);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const row = await this.db.selectFrom('job_runs').selectAll().where('idempotency_key', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }
}

function toRecord(row: JobRun): RunRecord {
  return {
    id: row.idempotency_key,
    kind: row.kind,
    tenant: row.tenant,
    payload: row.payload,
    scheduledFor: row.scheduled_for,
    status: row.status,
    attempts: row.attempts,
    queuedAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    counts: row.counts ?? {},
    error: row.error,
  };
}
