/**
 * reconcile: Postgres is the ledger, Redis the transport (docs/architecture.md
 * "A run's life", 7). Re-reads the tenants, re-creates any missing job
 * scheduler, removes those of tenants that are gone, and settles every
 * unfinished run the transport has lost track of:
 *
 * - its job is **missing** (a Redis FLUSHALL, a lost job): re-enqueued under
 *   its run id, so repeating it is safe; a run still held under a live lease
 *   is re-enqueued too, and its new delivery waits for that lease to end;
 * - its job **failed** for good in the queue (e.g. "job stalled more than
 *   allowable limit") or **completed** while the row stayed open (the holder
 *   died and the delivery that found it busy ended): once the holder's lease
 *   has expired, the run is retried (back to `queued`, re-enqueued) while it
 *   has attempts left, and failed with the reason otherwise.
 *
 * With the application's dependencies it also keeps the approvals in step
 * (docs/architecture.md "Approvals and remediation"): pending approvals past
 * their deadline expire; an approved one whose remediation run was never
 * written (the process died between the decision and the enqueue) gets its
 * run now, which the pass below enqueues; one whose runs all ended while it
 * stayed approved or executed (its worker killed on the last attempt) is
 * failed and its admins are told.
 *
 * Payload: `{}` only.
 */
import { z } from 'zod';
import { sendOutcome } from '../src/approvals/notify.js';
import { approvalsAwaitingRemediation, expireApprovals, markApprovalFailed } from '../src/db/approvals.repository.js';
import { requireTenant } from '../src/db/tenants.repository.js';
import { defineJob, type JobContext, type TransportJobState } from '../src/queue/define-job.js';
import { newRunId } from '../src/queue/run-id.js';

/** Approvals housekeeping; counts for the run's row. */
async function reconcileApprovals(ctx: JobContext): Promise<Record<string, number>> {
  const app = ctx.deps.app;
  if (app === undefined) return {};
  const expired = (await expireApprovals(app.db, new Date())).length;
  let remediations = 0;
  let failed = 0;
  for (const { approval, finishedRuns } of await approvalsAwaitingRemediation(app.db)) {
    if (finishedRuns === 0) {
      await ctx.ledger.createRun({ id: newRunId(), kind: 'remediation', tenant: approval.tenant, payload: { approval_id: approval.id }, scheduledFor: null });
      remediations++;
      continue;
    }
    const reason = 'its remediation runs all ended without finishing it (a worker died on the last attempt)';
    const row = await markApprovalFailed(app.db, approval.id, new Date(), { failure: { error: reason } }).catch(() => undefined);
    if (row === undefined) continue;
    failed++;
    await ctx.once(`email:failed:${approval.id}`, async () => ({
      message_id: (await sendOutcome({ ...app, logger: ctx.log }, await requireTenant(app.db, approval.tenant), row, 'failed', reason))?.messageId ?? null,
    }));
  }
  return {
    ...(expired > 0 ? { approvals_expired: expired } : {}),
    ...(remediations > 0 ? { remediations_enqueued: remediations } : {}),
    ...(failed > 0 ? { approvals_failed: failed } : {}),
  };
}

/** Why a run whose job the queue finished is being settled, for the ledger's `error`. */
function reasonOf(state: TransportJobState): string {
  return state.state === 'failed' ? `the queue failed its job: ${state.reason}` : 'the queue completed its job but the run never ended';
}

export const reconcileJob = defineJob({
  name: 'reconcile',
  payload: z.strictObject({}),
  schedule: '*/5 * * * *',
  scope: 'fleet',
  attempts: 1,
  async run(_payload, ctx) {
    const schedulers = await ctx.queue.ensureSchedules();
    const approvals = await reconcileApprovals(ctx);
    let requeued = 0;
    let retried = 0;
    let failed = 0;
    let unknown = 0;
    const unfinished = (await ctx.ledger.listUnfinished()).filter((run) => run.id !== ctx.runId);
    const states = await ctx.queue.jobStates(unfinished);
    const now = Date.now();
    for (const run of unfinished) {
      const state = states.get(run.id) ?? { state: 'missing' };
      try {
        if (state.state === 'missing') {
          await ctx.queue.requeue(run);
          requeued++;
        } else if (state.state === 'failed' || state.state === 'completed') {
          // A live holder may still end it; settle only runs nobody holds (settle() re-checks on the database's clock).
          if (run.status === 'running' && run.leaseUntil !== null && run.leaseUntil.getTime() > now) continue;
          const reason = reasonOf(state);
          if (run.attempts < ctx.queue.maxAttempts(run.kind)) {
            if (!(await ctx.ledger.settle(run.id, 'queued', `retried by reconcile: ${reason}`))) continue;
            await ctx.queue.requeue(run);
            retried++;
            ctx.log.warn({ run: run.id, run_kind: run.kind, reason }, 'run retried');
          } else {
            if (!(await ctx.ledger.settle(run.id, 'failed', reason))) continue;
            failed++;
            ctx.log.warn({ run: run.id, run_kind: run.kind, reason }, 'run failed');
          }
        }
      } catch (err) {
        // A kind this deployment has no handler for: leave the row for one that does.
        unknown++;
        ctx.log.warn({ run: run.id, run_kind: run.kind, error: (err as Error).message }, 'run not re-enqueued');
      }
    }
    if (requeued > 0) ctx.log.info({ requeued }, 'runs re-enqueued');
    return { schedulers, requeued, retried, failed, unknown, ...approvals };
  },
});
