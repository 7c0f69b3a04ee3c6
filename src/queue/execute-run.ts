/**
 * One attempt of one run, the same whether BullMQ or the inline runner
 * delivered it: ledger first, then validation, then the job, then the ledger
 * again. Transport-specific concerns (UnrecoverableError, retries) stay with
 * the caller.
 */
import type { Logger } from '../log/logger.js';
import type { AnyJobDefinition, EffectResult, JobContext, JobDeps, OnceOptions, QueueControl } from './define-job.js';
import { PayloadError, PermanentJobError, RunDeferredError } from './errors.js';
import { Lease, LeaseLostError } from './lease.js';
import type { RunCounts, RunLedger } from './run-ledger.js';

/** What the runner provides to every attempt. */
export interface RunEnvironment {
  ledger: RunLedger;
  deps: JobDeps;
  log: Logger;
  signal: AbortSignal;
  queue: QueueControl;
}

/** One delivery of a run. */
export interface Delivery {
  runId: string;
  tenant: string | null;
  payload: unknown;
  /** 1-based. */
  attempt: number;
  maxAttempts: number;
  scheduledFor: Date | null;
  /**
   * How long the claim's lease holds without renewal before another delivery
   * may take the run over (BullMQ: the lock duration, after which a stalled
   * job is re-delivered). The attempt renews it every third of it.
   */
  leaseMs: number;
  /**
   * Set for a job a scheduler made: it reached us before any ledger row, so
   * the row is created here (idempotently, keyed by the run id).
   */
  fromScheduler?: boolean;
}

/**
 * Outcome of {@link executeRun}: `duplicate` means the run was final or
 * unknown, and was not run; `leased` that another runner holds it under a live
 * lease until `until` (a transport may deliver it again then); `deferred` that
 * the job asked to come back at `until` ({@link RunDeferredError}); `lease-lost`
 * that this attempt lost the run to another runner while executing it, and
 * left its ending to that runner.
 */
export type Outcome =
  | { status: 'succeeded'; counts: RunCounts }
  | { status: 'duplicate' }
  | { status: 'leased'; until: Date }
  | { status: 'deferred'; until: Date }
  | { status: 'lease-lost' };

/** True when retrying cannot help: a bad payload or a job that said so. */
export function isPermanent(err: unknown): boolean {
  return err instanceof PayloadError || err instanceof PermanentJobError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function executeRun(def: AnyJobDefinition, d: Delivery, env: RunEnvironment): Promise<Outcome> {
  const { ledger } = env;
  if (d.fromScheduler === true) {
    await ledger.createRun({ id: d.runId, kind: def.name, tenant: d.tenant, payload: d.payload, scheduledFor: d.scheduledFor });
  }
  // The child logger is made on first use: most runs of a busy queue never log, and pino children are not free.
  let log: Logger | undefined;
  const logger = (): Logger => (log ??= env.log.child({ runId: d.runId, kind: def.name, tenant: d.tenant, attempt: d.attempt }));
  const lease = new Lease({ ledger, runId: d.runId, leaseMs: d.leaseMs, log: logger });
  if (!(await ledger.markRunning(d.runId, d.attempt, d.leaseMs, lease.owner))) {
    const current = await ledger.get(d.runId);
    if (current?.status === 'running' && current.leaseUntil !== null) {
      logger().info({ leaseUntil: current.leaseUntil.toISOString() }, 'run held by another runner under a live lease; not executed');
      return { status: 'leased', until: current.leaseUntil };
    }
    logger().info('run already finished or unknown to the ledger; duplicate delivery skipped');
    return { status: 'duplicate' };
  }
  lease.start();
  const signal = AbortSignal.any([env.signal, lease.signal]);
  const leaseLost = (): Outcome => {
    logger().warn('lease lost while executing; the run is left to the runner that holds it now');
    return { status: 'lease-lost' };
  };
  try {
    const payload: unknown = def.parse(d.payload);
    const ctx: JobContext = {
      runId: d.runId,
      kind: def.name,
      tenant: d.tenant,
      attempt: d.attempt,
      scheduledFor: d.scheduledFor,
      get log() {
        return logger();
      },
      signal,
      deps: env.deps,
      ledger,
      queue: env.queue,
      once: (key, fn, options) => once(key, fn, options ?? {}, { ledger, runId: d.runId, attempt: d.attempt, leaseMs: d.leaseMs, lease, signal, log: logger }),
    };
    const counts = (await def.run(payload, ctx)) ?? {};
    lease.stop();
    if (lease.lost || !(await ledger.finish(d.runId, 'succeeded', counts, null, lease.owner))) return leaseLost();
    return { status: 'succeeded', counts };
  } catch (err) {
    lease.stop();
    if (lease.lost) return leaseLost();
    if (err instanceof RunDeferredError) {
      // Waiting is not failing: the run is queued again, with no error, and the transport brings it back at `until`.
      if (!(await ledger.finish(d.runId, 'queued', {}, null, lease.owner))) return leaseLost();
      logger().debug({ until: err.until.toISOString(), reason: err.reason }, 'run deferred');
      return { status: 'deferred', until: err.until };
    }
    const final = isPermanent(err) || d.attempt >= d.maxAttempts;
    const message = err instanceof PayloadError ? `invalid payload: ${err.message}` : errorMessage(err);
    if (!(await ledger.finish(d.runId, final ? 'failed' : 'queued', {}, message, lease.owner))) return leaseLost();
    logger().warn({ final, error: message }, final ? 'run failed' : 'attempt failed; will retry');
    throw err;
  }
}

interface OnceEnvironment {
  ledger: RunLedger;
  runId: string;
  attempt: number;
  leaseMs: number;
  lease: Lease;
  signal: AbortSignal;
  log: () => Logger;
}

/** {@link JobContext.once}: intent, effect, completion (docs/architecture.md "A run's life"). */
async function once<T>(key: string, fn: (signal: AbortSignal) => Promise<T>, options: OnceOptions, env: OnceEnvironment): Promise<EffectResult<T>> {
  // Nothing new starts once the run is no longer ours or the process is going away.
  env.signal.throwIfAborted();
  const begun = await env.ledger.beginEffect(env.runId, key, env.lease.owner, env.attempt);
  switch (begun.state) {
    case 'lost':
      env.lease.lose(`the ledger refused to begin effect ${key}`);
      throw env.lease.signal.reason as LeaseLostError;
    case 'done':
      env.log().info({ effect: key }, 'effect already done by an earlier attempt; not repeated');
      return { state: 'already-done', result: begun.result };
    case 'interrupted':
      if ((options.ifInterrupted ?? 'report') === 'report') {
        env.log().warn({ effect: key, begunByAttempt: begun.attempt }, 'effect begun by an earlier attempt that never recorded its end; not repeated');
        return { state: 'interrupted', attempt: begun.attempt, startedAt: begun.startedAt };
      }
      // Retrying it: the run must still be ours (a renewal is the owner check).
      if (!(await env.ledger.renew(env.runId, env.lease.owner, env.leaseMs))) {
        env.lease.lose(`the ledger refused to retry effect ${key}`);
        throw env.lease.signal.reason as LeaseLostError;
      }
      break;
    case 'begun':
      break;
  }
  let result: T;
  try {
    result = await fn(env.signal);
  } catch (err) {
    // Cut short by the run's signal, it may have happened: its intent stays, and it is reported `interrupted`.
    if (env.signal.aborted) throw err;
    // It failed on its own, so it is taken as not done: the retry does it again. Only a process that dies here leaves it `interrupted`.
    await env.ledger.abandonEffect(env.runId, key).catch((e: unknown) => env.log().warn({ effect: key, error: errorMessage(e) }, 'failed effect not forgotten; it will be reported interrupted'));
    throw err;
  }
  await env.ledger.completeEffect(env.runId, key, result);
  return { state: 'done', result };
}
