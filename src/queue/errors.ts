/** Typed errors of the job fleet. Messages name jobs and fields, never payload values. */
import { InputError } from '../errors.js';

/** A payload that does not match its job's schema: never retried. */
export class PayloadError extends InputError {
  override readonly name = 'PayloadError';
  constructor(
    readonly kind: string,
    cause: InputError,
  ) {
    super(cause.path, cause.problem);
  }
}

/** The fleet cannot start: a job without a handler, two handlers, a schedule for an unknown job… */
export class FleetConfigError extends Error {
  override readonly name = 'FleetConfigError';
}

/** `warden run` / `enqueue` named a job the registry does not know. */
export class UnknownJobError extends InputError {
  override readonly name = 'UnknownJobError';
  constructor(kind: string, known: readonly string[]) {
    super('job', `unknown job ${JSON.stringify(kind)} (known: ${known.join(', ')})`);
  }
}

/** Thrown by a job to fail its run for good: no retry will make it succeed. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/**
 * Thrown by a job to come back later without spending an attempt: the work
 * is not failing, it is waiting (a verification window, a platform that asked
 * for a pause). The run goes back to `queued`; BullMQ delays its job until
 * `until` (the inline runner sleeps until then).
 */
export class RunDeferredError extends Error {
  override readonly name = 'RunDeferredError';
  constructor(
    readonly until: Date,
    /** Why, for the log: no identifier. */
    readonly reason: string,
  ) {
    super(`deferred until ${until.toISOString()}: ${reason}`);
  }
}
