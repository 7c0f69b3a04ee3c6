/** Job definitions used only by the queue tests. */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineJob } from '../../src/queue/define-job.js';

/**
 * Sleeps `sleepMs`, fails its first `failTimes` attempts, and reports the pid
 * that ran it, so a test can tell which process finished a run.
 */
export const probeJob = defineJob({
  name: 'probe',
  payload: z.object({
    sleepMs: z.number().int().nonnegative().optional(),
    failTimes: z.number().int().nonnegative().optional(),
  }),
  async run(payload, ctx) {
    process.stdout.write(`started ${ctx.runId} attempt ${ctx.attempt}\n`);
    if (payload.sleepMs !== undefined) await sleep(payload.sleepMs, undefined, { signal: ctx.signal });
    if (ctx.attempt <= (payload.failTimes ?? 0)) throw new Error(`planned failure ${ctx.attempt}`);
    return { pid: process.pid, attempt: ctx.attempt };
  },
});

/** A job whose payload needs a profile id: the payload-validation tests. */
export function strictJob(calls: { count: number }) {
  return defineJob({
    name: 'strict',
    payload: z.object({ profile_id: z.string().min(1) }),
    run: () => {
      calls.count++;
      return Promise.resolve({ done: 1 });
    },
  });
}
