/**
 * A tenant's platform pace as the outbound layer's `pace` hook
 * (src/outbound/http-client.ts): before every call, a slot from the ledger's
 * fleet-wide pace (src/db/platform-pace.repository.ts); on a `429`, the whole
 * tenant paused for its `Retry-After`, in every worker at once.
 *
 * A short wait is slept here; a long one (a pause, or a queue of slots longer
 * than {@link MAX_IN_JOB_WAIT_MS}) defers the run instead
 * ({@link RunDeferredError}) without booking a slot: BullMQ brings the job
 * back when the queue is short enough, so no worker holds a slot of its
 * concurrency while it waits, no attempt is spent, and no slot is wasted.
 *
 * Why not BullMQ's own limiter: it limits a whole queue, not one tenant's
 * share of it (per-group limits are BullMQ Pro's), so a 429 from one tenant
 * would stop every tenant's erasures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/executor.js';
import { ensurePaceRow, pausePlatform, takePlatformSlot } from '../db/platform-pace.repository.js';
import type { Logger } from '../log/logger.js';
import { RunDeferredError } from '../queue/errors.js';

/** Longest wait slept inside a job; past it the run is deferred. */
export const MAX_IN_JOB_WAIT_MS = 5_000;
/** The pause after a `429` that gave no `Retry-After`. */
export const DEFAULT_PAUSE_MS = 1_000;
/**
 * The longest pause a `429` imposes: a platform asking for days (a quota
 * used up) pauses the tenant's erasures a quarter of an hour at a time, and
 * says so in the log each time, instead of silently for days.
 */
export const MAX_PAUSE_MS = 15 * 60_000;

export interface PaceOptions {
  db: Db;
  tenant: string;
  /** Requests per second allowed, or null for no pacing (a 429 still pauses). */
  ratePerSecond: number | null;
  /** Stops a wait when the run is aborted. */
  signal?: AbortSignal;
  /** Where a long pause is said. @defaultValue nothing logged */
  logger?: Logger;
}

export interface PlatformPace {
  take(): Promise<void>;
  rateLimited(retryAfterMs: number | undefined): Promise<void>;
}

export function platformPace({ db, tenant, ratePerSecond, signal, logger }: PaceOptions): PlatformPace {
  const intervalMs = ratePerSecond === null ? 0 : 1000 / ratePerSecond;
  const wait = (ms: number) => sleep(ms, undefined, signal === undefined ? {} : { signal });
  let ensured: Promise<void> | undefined;
  return {
    async take() {
      ensured ??= ensurePaceRow(db, tenant);
      await ensured;
      for (;;) {
        const slot = await takePlatformSlot(db, tenant, intervalMs, MAX_IN_JOB_WAIT_MS);
        if (slot.booked) {
          if (slot.waitMs > 0) await wait(slot.waitMs);
          return;
        }
        if (slot.pausedMs > 0) {
          if (slot.pausedMs > MAX_IN_JOB_WAIT_MS) throw new RunDeferredError(new Date(Date.now() + slot.pausedMs), 'the platform asked for a pause (429)');
          await wait(slot.pausedMs);
          continue;
        }
        // Nothing booked: come back when the queue of slots is short enough to wait for, spread out so that
        // the deferred runs do not all return at once.
        const back = slot.waitMs - MAX_IN_JOB_WAIT_MS + Math.random() * (MAX_IN_JOB_WAIT_MS / 2);
        throw new RunDeferredError(new Date(Date.now() + Math.max(0, back)), 'the tenant’s platform rate limit is taken up');
      }
    },
    async rateLimited(retryAfterMs) {
      const asked = retryAfterMs ?? DEFAULT_PAUSE_MS;
      if (asked > MAX_PAUSE_MS) logger?.warn({ tenant, retryAfterMs: asked, pauseMs: MAX_PAUSE_MS }, 'the platform asked for a long pause; erasures wait a quarter of an hour at a time');
      await pausePlatform(db, tenant, Math.min(asked, MAX_PAUSE_MS));
    },
  };
}
