/**
 * A run's claim is a lease on its ledger row (docs/architecture.md "A run's
 * life"): the attempt holding it renews it on a heartbeat while the job works,
 * and stops (its AbortSignal fires) as soon as it can no longer be sure the run
 * is still its own: the renewal found the row taken over or settled, or the
 * database has not confirmed the lease for a whole lease period (so another
 * runner may by now have taken the run over).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import type { RunLedger } from './run-ledger.js';

/** The run is no longer this attempt's: it must start no further side effect. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(runId: string, why: string) {
    super(`run ${runId}: lease lost (${why}); stopped, the run is left to its new holder`);
  }
}

export interface LeaseOptions {
  ledger: RunLedger;
  runId: string;
  /** How long one renewal holds the run (database clock). */
  leaseMs: number;
  /**
   * How often the holder renews; a third of the lease, so two renewals may
   * fail (a slow database, a busy event loop) before the lease runs out.
   * @defaultValue `leaseMs / 3`
   */
  heartbeatMs?: number;
  log: () => Logger;
}

export class Lease {
  /** The claim token written to `job_runs.lease_owner`. */
  readonly owner = randomUUID();
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private lastConfirmed = performance.now();
  private renewing = false;
  private failing = false;

  constructor(private readonly opts: LeaseOptions) {}

  /** Aborted with a {@link LeaseLostError} when the lease is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  /** Starts the heartbeat; call once the claim succeeded. */
  start(): void {
    this.lastConfirmed = performance.now();
    const every = Math.max(10, Math.floor(this.opts.heartbeatMs ?? this.opts.leaseMs / 3));
    this.timer = setInterval(() => void this.beat(), every);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Marks the lease lost (e.g. the ledger refused an effect because the row is no longer ours). */
  lose(why: string): void {
    if (this.lost) return;
    this.stop();
    this.opts.log().warn({ why }, 'lease lost; stopping the run');
    this.controller.abort(new LeaseLostError(this.opts.runId, why));
  }

  private async beat(): Promise<void> {
    if (this.renewing || this.lost) return;
    this.renewing = true;
    try {
      if (await this.opts.ledger.renew(this.opts.runId, this.owner, this.opts.leaseMs)) {
        this.lastConfirmed = performance.now();
        if (this.failing) this.opts.log().info('lease renewed again');
        this.failing = false;
      } else {
        this.lose('the run was taken over or settled by another runner');
      }
    } catch (err) {
      // One line per outage, not one per beat.
      if (!this.failing) this.opts.log().warn({ error: err instanceof Error ? err.message : String(err) }, 'lease not renewed; retrying');
      this.failing = true;
      if (performance.now() - this.lastConfirmed >= this.opts.leaseMs) this.lose('not renewed for a whole lease period');
    } finally {
      this.renewing = false;
    }
  }
}
