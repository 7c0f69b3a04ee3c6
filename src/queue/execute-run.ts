/**
 * One attempt of one run, the same whether BullMQ or the inline runner
 * delivered it: ledger first, then validation, then the job, then the ledger
 * again. Transport-specific concerns (UnrecoverableError, retries) stay with
 * the caller.
 */
import type { Logger } from '../log/logger.js';
import type { AnyJobDefinition, JobContext, JobDeps, QueueControl } from './define-job.js';
import { PayloadError, PermanentJobError } from './errors.js';
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
   * How long a `running` claim holds before another delivery may take the
   * run over (BullMQ: the lock duration, after which a stalled job is re-delivered).
   */
  leaseMs: number;
  /**
   * Set for a job a scheduler made: it reached us before any ledger row, so
   * the row is created here (idempotently, keyed by the run id).
   */
  fromScheduler?: boolean;
}

/** Outcome of {@link executeRun}; `duplicate` means the run was final or taken by another runner, and was not run. */
export type Outcome = { status: 'succeeded'; counts: RunCounts } | { status: 'duplicate' };

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
  if (!(await ledger.markRunning(d.runId, d.attempt, d.leaseMs))) {
    logger().info('run already taken, finished or unknown to the ledger; duplicate delivery skipped');
    return { status: 'duplicate' };
  }
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
      signal: env.signal,
      deps: env.deps,
      ledger,
      queue: env.queue,
    };
    const counts = (await def.run(payload, ctx)) ?? {};
    await ledger.finish(d.runId, 'succeeded', counts, null);
    return { status: 'succeeded', counts };
  } catch (err) {
    const final = isPermanent(err) || d.attempt >= d.maxAttempts;
    const message = err instanceof PayloadError ? `invalid payload: ${err.message}` : errorMessage(err);
    await ledger.finish(d.runId, final ? 'failed' : 'queued', {}, message);
    logger().warn({ final, error: message }, final ? 'run failed' : 'attempt failed; will retry');
    throw err;
  }
}
