/**
 * The run ledger: every job execution goes through it, so every run is a row
 * (`job_runs`) before it is a job, and a lost Redis loses nothing.
 *
 * The queue module codes against this interface; Postgres implements it
 * (src/app/job-runs-ledger.ts, over the job_runs repository).
 */

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
/** `queued` also covers a run waiting for its next retry; `succeeded` and `failed` are final. */
export type RunStatus = (typeof RUN_STATUSES)[number];
export type FinalStatus = Extract<RunStatus, 'succeeded' | 'failed'>;

/** What a job reports it did, e.g. `{ findings: 12, resolved: 3 }`. */
export type RunCounts = Record<string, number>;

export interface NewRun {
  /**
   * The run id, unique per run and stable across deliveries: the BullMQ job id
   * (a uuid for a run enqueued on demand, `repeat:…` for one a scheduler made).
   */
  id: string;
  /** The job definition's name. */
  kind: string;
  tenant: string | null;
  /** The validated payload (ids only, never secrets), kept so reconcile can re-enqueue. */
  payload: unknown;
  /** The tick a scheduler fired for; null for runs enqueued on demand. */
  scheduledFor: Date | null;
}

export interface RunRecord extends NewRun {
  status: RunStatus;
  /** Attempts started so far. */
  attempts: number;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  counts: RunCounts;
  error: string | null;
}

export interface RunLedger {
  /**
   * Records a queued run. Idempotent on `id`: a run that already exists is left
   * as it is and `false` is returned, so a re-delivered job never makes a second run.
   */
  createRun(run: NewRun): Promise<boolean>;
  /**
   * Claims the run for its `attempt`-th attempt (1-based), compare-and-set: a
   * run may be claimed when `queued`, or when `running` but its lease has
   * expired (started more than `leaseMs` ago: its runner died or stalled).
   * Resolves false, and changes nothing, when the run is unknown, final, or
   * running under a live lease: the claim lost, the run is already taken and
   * this delivery must not execute it.
   */
  markRunning(id: string, attempt: number, leaseMs: number): Promise<boolean>;
  /**
   * Ends an attempt: `succeeded` or `failed` for good, or `queued` when the
   * attempt failed and will be retried (the error is kept).
   */
  finish(id: string, status: FinalStatus | 'queued', counts: RunCounts, error: string | null): Promise<void>;
  /** Runs still `queued` or `running`, oldest first. */
  listUnfinished(): Promise<RunRecord[]>;
  /** The latest runs, newest first. */
  listRecent(limit: number): Promise<RunRecord[]>;
  get(id: string): Promise<RunRecord | undefined>;
}
