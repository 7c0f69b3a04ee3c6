/**
 * The queue's {@link RunLedger}, implemented by the app with the `job_runs`
 * repository (src/db/job-runs.repository.ts), the one run state machine. The
 * queue codes against the interface and never imports the database, so the
 * layers stay one way (docs/architecture.md "Layers"): the fleet, the inline
 * runner and the tests all drive runs through these same statements.
 */
import type { JobRun } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { claimRun, createRun, endAttempt, findRun, listRuns, listUnfinishedRuns, renewLease, settleRun } from '../db/job-runs.repository.js';
import { abandonEffect, beginEffect, completeEffect } from '../db/run-effects.repository.js';
import type { EffectStart, FinalStatus, NewRun, RunCounts, RunLedger, RunRecord } from '../queue/run-ledger.js';

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

  markRunning(id: string, attempt: number, leaseMs: number, owner?: string): Promise<boolean> {
    return claimRun(this.db, id, attempt, leaseMs, owner);
  }

  renew(id: string, owner: string, leaseMs: number): Promise<boolean> {
    return renewLease(this.db, id, owner, leaseMs);
  }

  finish(id: string, status: FinalStatus | 'queued', counts: RunCounts, error: string | null, owner?: string): Promise<boolean> {
    return endAttempt(this.db, id, { status, counts, error, ...(owner === undefined ? {} : { owner }) });
  }

  settle(id: string, status: 'queued' | 'failed', error: string): Promise<boolean> {
    return settleRun(this.db, id, status, error);
  }

  beginEffect(id: string, effectKey: string, owner: string, attempt: number): Promise<EffectStart> {
    return beginEffect(this.db, id, effectKey, owner, attempt);
  }

  completeEffect(id: string, effectKey: string, result: unknown): Promise<void> {
    return completeEffect(this.db, id, effectKey, result);
  }

  abandonEffect(id: string, effectKey: string): Promise<void> {
    return abandonEffect(this.db, id, effectKey);
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
    leaseUntil: row.lease_until,
  };
}
