/**
 * The queue's {@link RunLedger}, implemented by the app with the `job_runs`
 * repository (src/db/job-runs.repository.ts), the one run state machine. The
 * queue codes against the interface and never imports the database, so the
 * layers stay one way (docs/architecture.md "Layers"): the fleet, the inline
 * runner and the tests all drive runs through these same statements.
 */
import type { JobRun } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { claimRun, createRun, endAttempt, findRun, listRuns, listUnfinishedRuns } from '../db/job-runs.repository.js';
import type { FinalStatus, NewRun, RunCounts, RunLedger, RunRecord } from '../queue/run-ledger.js';

export class JobRunsLedger implements RunLedger {
  constructor(private readonly db: Db) {}

  async createRun(run: NewRun): Promise<boolean> {
    const payload = run.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new TypeError(`payload of a ${run.kind} run must be a JSON object`);
    }
    const { created } = await createRun(this.db, {
      kind: run.kind,
      tenant: run.tenant,
      // The table wants an instant for every run: an on-demand run is scheduled for when it was asked for.
      scheduledFor: run.scheduledFor ?? new Date(),
      payload: payload as Record<string, unknown>,
      idempotencyKey: run.id,
    });
    return created;
  }

  markRunning(id: string, attempt: number, leaseMs: number): Promise<boolean> {
    return claimRun(this.db, id, attempt, leaseMs);
  }

  async finish(id: string, status: FinalStatus | 'queued', counts: RunCounts, error: string | null): Promise<void> {
    await endAttempt(this.db, id, { status, counts, error });
  }

  async listUnfinished(): Promise<RunRecord[]> {
    return (await listUnfinishedRuns(this.db)).map(toRecord);
  }

  async listRecent(limit: number): Promise<RunRecord[]> {
    return (await listRuns(this.db, { limit })).map(toRecord);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const row = await findRun(this.db, id);
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
