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
  /** When the lease of the attempt holding a `running` run ends (database clock); null when none holds it. */
  leaseUntil: Date | null;
}

/**
 * What beginning a side effect found (see {@link RunLedger.beginEffect}):
 * `begun` (do it now), `done` (an earlier attempt did it), `interrupted` (an
 * earlier attempt recorded its intent and died before recording its
 * completion), `lost` (this attempt no longer holds the run: start nothing).
 */
export type EffectStart =
  | { state: 'begun' }
  | { state: 'done'; result: unknown }
  | { state: 'interrupted'; attempt: number; startedAt: Date }
  | { state: 'lost' };

export interface RunLedger {
  /**
   * Records a queued run. Idempotent on `id`: a run that already exists is left
   * as it is and `false` is returned, so a re-delivered job never makes a second run.
   */
  createRun(run: NewRun): Promise<boolean>;
  /**
   * Claims the run for its `attempt`-th attempt (1-based) under the claim
   * token `owner`, compare-and-set: a run may be claimed when `queued`, or when
   * `running` but its holder's lease has expired (database clock: its runner
   * died, stalled or lost the database). The lease lasts `leaseMs` and is
   * renewed by {@link renew}. Resolves false, and changes nothing, when the run
   * is unknown, final, or running under a live lease: the claim lost, and this
   * delivery must not execute it ({@link get} tells why).
   */
  markRunning(id: string, attempt: number, leaseMs: number, owner?: string): Promise<boolean>;
  /** The holder's heartbeat: extends its lease; false when the run is no longer `owner`'s (it must stop). */
  renew(id: string, owner: string, leaseMs: number): Promise<boolean>;
  /**
   * Ends an attempt: `succeeded` or `failed` for good, or `queued` when the
   * attempt failed and will be retried (the error is kept). With `owner`, only
   * while that claim still holds the run; resolves whether the row moved.
   */
  finish(id: string, status: FinalStatus | 'queued', counts: RunCounts, error: string | null, owner?: string): Promise<boolean>;
  /**
   * Reconcile's settlement of a run its transport gave up on or finished
   * without the ledger hearing of it: `queued` (to be retried) or `failed`,
   * with the reason. A run held under a live lease is left alone (false).
   */
  settle(id: string, status: 'queued' | 'failed', error: string): Promise<boolean>;
  /**
   * Records the intent of the side effect `effectKey` of run `id` before it is
   * done, checking in the same statement that `owner` still holds the run.
   */
  beginEffect(id: string, effectKey: string, owner: string, attempt: number): Promise<EffectStart>;
  /** Records that the side effect happened, with what it returned (ids only). */
  completeEffect(id: string, effectKey: string, result: unknown): Promise<void>;
  /** Forgets the intent of a side effect whose function failed: taken as not done, a retry does it again. */
  abandonEffect(id: string, effectKey: string): Promise<void>;
  /** Runs still `queued` or `running`, oldest first. */
  listUnfinished(): Promise<RunRecord[]>;
  /** The latest runs, newest first. */
  listRecent(limit: number): Promise<RunRecord[]>;
  get(id: string): Promise<RunRecord | undefined>;
}
