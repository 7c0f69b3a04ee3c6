/**
 * reconcile: Postgres is the ledger, Redis the transport. Re-reads the
 * tenants, re-creates any missing job scheduler, removes those of tenants
 * that are gone, and re-enqueues every unfinished run whose job the
 * transport no longer holds, so a Redis FLUSHALL or a lost job loses nothing.
 * Re-enqueueing uses the run id as the job id, so it is safe to repeat.
 */
import { z } from 'zod';
import { defineJob } from '../src/queue/define-job.js';

export const reconcileJob = defineJob({
  name: 'reconcile',
  payload: z.object({}),
  schedule: '*/5 * * * *',
  scope: 'fleet',
  attempts: 1,
  async run(_payload, ctx) {
    const schedulers = await ctx.queue.ensureSchedules();
    let requeued = 0;
    let unknown = 0;
    const unfinished = (await ctx.ledger.listUnfinished()).filter((run) => run.id !== ctx.runId);
    for (const run of await ctx.queue.missingJobs(unfinished)) {
      try {
        await ctx.queue.requeue(run);
        requeued++;
      } catch (err) {
        // A kind this deployment has no handler for: leave the row for one that does.
        unknown++;
        ctx.log.warn({ run: run.id, kind: run.kind, error: (err as Error).message }, 'run not re-enqueued');
      }
    }
    if (requeued > 0) ctx.log.info({ requeued }, 'runs re-enqueued');
    return { schedulers, requeued, unknown };
  },
});
