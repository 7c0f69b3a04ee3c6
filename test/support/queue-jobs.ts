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

declare module '../../src/queue/define-job.js' {
  interface JobDeps {
    /** The URL the `effect` job calls once per effect (a simulator route, whose request counts the tests read). */
    effectUrl?: string;
  }
}

/**
 * `effects` side effects, each one GET of `deps.effectUrl` through
 * `ctx.once` (effect `call:i`), so a test can count them twice: in the
 * ledger (`run_effects`) and at the server. The request is not tied to the
 * run's signal: an effect in flight completes even if the lease is lost.
 */
export const effectJob = defineJob({
  name: 'effect',
  payload: z.strictObject({ effects: z.number().int().min(1).max(20) }),
  async run(payload, ctx) {
    const url = ctx.deps.effectUrl;
    if (url === undefined) throw new Error('effect job needs deps.effectUrl');
    process.stdout.write(`started ${ctx.runId} attempt ${ctx.attempt}\n`);
    let done = 0;
    for (let i = 0; i < payload.effects; i++) {
      const r = await ctx.once(`call:${i}`, async () => {
        const res = await fetch(url, { headers: { authorization: 'Bearer sim-token' } });
        await res.arrayBuffer();
        return { status: res.status };
      });
      if (r.state !== 'interrupted') done++;
    }
    return { done, pid: process.pid };
  },
});
