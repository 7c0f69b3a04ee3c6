/**
 * `defineJob`: a job kind is a payload schema, an optional schedule and a
 * plain async function of (payload, ctx). Nothing here knows about BullMQ, so
 * the fleet and the inline runner execute the very same definitions.
 */
import type { z } from 'zod';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { validate } from '../validation.js';
import { PayloadError } from './errors.js';
import type { RunCounts, RunLedger, RunRecord } from './run-ledger.js';

/**
 * The application's dependencies handed to every job (database, platform
 * client, mailer…). Modules that provide one add it by declaration merging:
 * `declare module '…/queue/define-job.js' { interface JobDeps { db: Db } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface JobDeps {}

/**
 * Where the transport stands on a run's job: `missing` (it holds none),
 * `pending` (waiting, delayed or active), `failed` for good (with the
 * transport's reason, e.g. "job stalled more than allowable limit"), or
 * `completed`.
 */
export type TransportJobState = { state: 'missing' | 'pending' | 'completed' } | { state: 'failed'; reason: string };

/** What a job may ask of the machinery that runs it (used by `reconcile`). */
export interface QueueControl {
  /** Re-creates every job scheduler (idempotent); returns how many there are. */
  ensureSchedules(): Promise<number>;
  /**
   * The runs among `runs` whose job the transport no longer holds (looked up
   * in bulk, not a round trip per run); runs of kinds this process does not
   * know are returned too, for reconcile to report.
   */
  missingJobs(runs: readonly RunRecord[]): Promise<RunRecord[]>;
  /**
   * The transport's state of each run's job, by run id, looked up in bulk;
   * runs of kinds this process does not know are `missing`.
   */
  jobStates(runs: readonly RunRecord[]): Promise<Map<string, TransportJobState>>;
  /** Attempts a run of `kind` gets (its definition's, else the fleet's). */
  maxAttempts(kind: string): number;
  /**
   * Puts an unfinished run back on its queue under its own run id; a job of
   * the run the transport has finished (failed or completed) is removed first.
   */
  requeue(run: RunRecord): Promise<void>;
}

/** How {@link JobContext.once} ended. */
export type EffectResult<T> =
  /** Done now, by this attempt. */
  | { state: 'done'; result: T }
  /** An earlier attempt did it; what it returned, as recorded. */
  | { state: 'already-done'; result: unknown }
  /** An earlier attempt began it and died before recording its end; not repeated (`ifInterrupted: 'report'`). */
  | { state: 'interrupted'; attempt: number; startedAt: Date };

export interface OnceOptions {
  /**
   * What to do with an effect an earlier attempt recorded the intent of but
   * not the completion (its process died mid-effect, so it may or may not have
   * happened): `report` does not repeat it and resolves `interrupted` (at most
   * once, reported: an email); `retry` does it again (at least once: an
   * idempotent call such as a removal that is a no-op when already done).
   * @defaultValue `'report'`
   */
  ifInterrupted?: 'report' | 'retry';
}

export interface JobContext {
  runId: string;
  kind: string;
  tenant: string | null;
  /** 1 on the first attempt. */
  attempt: number;
  /** The scheduler tick this run is for, or null when enqueued on demand. */
  scheduledFor: Date | null;
  /** Child logger bound to run id, kind and tenant; the payload is never bound. */
  log: Logger;
  /**
   * Aborted when the process shuts down and the drain time is up, or when this
   * attempt lost its lease on the run (a `LeaseLostError`): stop, start no
   * further side effect, and let the run be retried or finished by its new holder.
   */
  signal: AbortSignal;
  /**
   * Does the side effect `key` of this run exactly once across every attempt
   * and every runner (docs/architecture.md "A run's life"): its intent is
   * recorded in the ledger (`run_effects`) before `fn` runs, in the same
   * statement that checks this attempt still holds the run, and its
   * completion (with `fn`'s result: ids only) after. A re-executed run finds
   * it done and skips it. When `fn` throws, the intent is forgotten (taken as
   * not done: the retry does it again); only a process that dies between the
   * two leaves it `interrupted` (see {@link OnceOptions.ifInterrupted}).
   * Throws the lease's error, starting nothing, when the run is no longer
   * this attempt's.
   */
  once<T>(key: string, fn: (signal: AbortSignal) => Promise<T>, options?: OnceOptions): Promise<EffectResult<T>>;
  deps: JobDeps;
  ledger: RunLedger;
  queue: QueueControl;
}

export interface JobOptions<S extends z.ZodType> {
  /** Unique job name; also its queue's name. */
  name: string;
  /** Validates (and may normalise) the payload before `run` ever sees it. */
  payload: S;
  /**
   * Cron pattern (5 or 6 fields) fired once per tenant, in the tenant's time
   * zone. A scheduled run gets the payload `{}`, so the schema must accept it.
   */
  schedule?: string;
  /**
   * `tenant`: the schedule fires once per tenant, in its time zone, and runs
   * carry that tenant. `fleet`: it fires once for the whole fleet, in UTC
   * (e.g. `reconcile`).
   * @defaultValue `'tenant'`
   */
  scope?: 'tenant' | 'fleet';
  /**
   * Attempts before a run fails for good.
   * @defaultValue the fleet's `attempts`
   */
  attempts?: number;
  /** Does the work. Returns counts for the ledger (`{ findings: 3 }`), or nothing. */
  run(payload: z.output<S>, ctx: JobContext): Promise<RunCounts | void>;
}

export interface JobDefinition<S extends z.ZodType = z.ZodType> extends Readonly<JobOptions<S>> {
  /** Validates a payload; a failure is a {@link PayloadError} naming the field (`payload.profile_id`). */
  parse(value: unknown): z.output<S>;
}

/** Any job definition, whatever its payload type (what registries hold). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- run's payload is checked by parse at run time
export type AnyJobDefinition = JobDefinition<any>;

export function defineJob<S extends z.ZodType>(options: JobOptions<S>): JobDefinition<S> {
  return Object.freeze({
    ...options,
    parse(value: unknown): z.output<S> {
      try {
        return validate(options.payload, value, 'payload');
      } catch (err) {
        if (err instanceof InputError) throw new PayloadError(options.name, err);
        throw err;
      }
    },
  });
}
