/**
 * A tenant's platform pace as the outbound layer's `pace` hook
 * (src/outbound/http-client.ts): before every call, a slot from the ledger's
 * fleet-wide pace (src/db/platform-pace.repository.ts); on a `429`, the whole
 * tenant paused for its `Retry-After`, in every worker at once.
 *
 * A short wait is slept here; a long one (a pause, or a queue of slots longer
 * than {@link MAX_IN_JOB_WAIT_MS}) defers the run instead
 * ({@link RunDeferredError}): BullMQ brings the job back when the pause is
 * over, so no worker holds a slot of its concurrency while it waits, and no
 * attempt is spent.
 *
 * Why not BullMQ's own limiter: it limits a whole queue, not one tenant's
 * share of it (per-group limits are BullMQ Pro's), so a 429 from one tenant
 * would stop every tenant's erasures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/executor.js';
import { pausePlatform, takePlatformSlot } from '../db/platform-pace.repository.js';
import { RunDeferredError } from '../queue/errors.js';

/** Longest wait slept inside a job; past it the run is deferred. */
export const MAX_IN_JOB_WAIT_MS = 5_000;
/** The pause after a `429` that gave no `Retry-After`. */
export const DEFAULT_PAUSE_MS = 1_000;

export interface PaceOptions {
  db: Db;
  tenant: string;
  /** Requests per second allowed, or null for no pacing (a 429 still pauses). */
  ratePerSecond: number | null;
  /** Stops a wait when the run is aborted. */
  signal?: AbortSignal;
}

export interface PlatformPace {
  take(): Promise<void>;
  rateLimited(retryAfterMs: number | undefined): Promise<void>;
}

export function platformPace({ db, tenant, ratePerSecond, signal }: PaceOptions): PlatformPace {
  const intervalMs = ratePerSecond === null ? 0 : 1000 / ratePerSecond;
  return {
    async take() {
      const slot = await takePlatformSlot(db, tenant, intervalMs);
      if (slot.pausedMs > 0) {
        if (slot.pausedMs > MAX_IN_JOB_WAIT_MS) throw new RunDeferredError(new Date(Date.now() + slot.pausedMs), 'the platform asked for a pause (429)');
        await sleep(slot.pausedMs, undefined, signal === undefined ? {} : { signal });
        return this.take();
      }
      if (slot.waitMs > MAX_IN_JOB_WAIT_MS) throw new RunDeferredError(new Date(Date.now() + slot.waitMs), 'the tenant’s platform rate limit is taken up');
      if (slot.waitMs > 0) await sleep(slot.waitMs, undefined, signal === undefined ? {} : { signal });
    },
    async rateLimited(retryAfterMs) {
      await pausePlatform(db, tenant, retryAfterMs ?? DEFAULT_PAUSE_MS);
    },
  };
}
