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
  /** Puts an unfinished run back on its queue under its own run id. */
  requeue(run: RunRecord): Promise<void>;
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
  /** Aborted when the process shuts down and the drain time is up: stop and let the run be retried. */
  signal: AbortSignal;
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
