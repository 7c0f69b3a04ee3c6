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
 * written (the process died between the decision and the enqueue), or whose
 * run died mid-act, gets a run now (which the pass below enqueues), up to two
 * runs; one whose runs all ended while it stayed approved or executed after
 * that is failed; a refused or failed approval whose admins were never told
 * (its email failed, or its process died) is emailed now, once.
 *
 * And the erasure requests (docs/architecture.md "Erasure"): one in flight
 * (received, purging, purged) with no queued or running `erasure` run (its
 * enqueue was lost, or its run died for good), or a proven one whose
 * re-verification is due, gets a run now, which the pass below enqueues.
 *
 * And the access-review campaigns (docs/architecture.md "Access reviews"): one
 * left `closing` for more than 5 minutes (the worker or the command closing it
 * died) gets a `review-reminders` run for its tenant now, which resumes the
 * closing (one pack) and sends the closing email, instead of waiting for the
 * next morning's run; at most 3 such runs per closing, then the daily run
 * keeps trying.
 *
 * Payload: `{}` only.
 */
import { z } from 'zod';
import { tellOutcome } from '../src/approvals/notify.js';
import { approvalsAwaitingRemediation, expireApprovals, markApprovalFailed, untoldOutcomes } from '../src/db/approvals.repository.js';
import { erasuresWithoutLiveRun } from '../src/db/erasure.repository.js';
import { listRuns } from '../src/db/job-runs.repository.js';
import { campaignsClosing } from '../src/db/reviews.repository.js';
import { requireTenant } from '../src/db/tenants.repository.js';
import { defineJob, type JobContext, type TransportJobState } from '../src/queue/define-job.js';
import type { RunRecord } from '../src/queue/run-ledger.js';
import { newRunId } from '../src/queue/run-id.js';

/** Approvals housekeeping; counts for the run's row. */
/** Remediation runs an approval may have that ended without ending it, before reconcile fails it: the first died, one more re-checks. */
const RUNS_BEFORE_FAILING = 2;

/** How far back reconcile looks for refused or failed approvals whose admins were never told. */
const TELL_WITHIN_MS = 7 * 86_400_000;

async function reconcileApprovals(ctx: JobContext): Promise<Record<string, number>> {
  const app = ctx.deps.app;
  if (app === undefined) return {};
  const expired = (await expireApprovals(app.db, new Date())).length;
  let remediations = 0;
  let failed = 0;
  for (const { approval, finishedRuns } of await approvalsAwaitingRemediation(app.db)) {
    // No run yet (lost between the decision and the enqueue), or its run died mid-act: a (new) run
    // re-checks from the row, and finds an account its last DELETE removed already gone.
    if (finishedRuns < RUNS_BEFORE_FAILING) {
      await ctx.ledger.createRun({ id: newRunId(), kind: 'remediation', tenant: approval.tenant, payload: { approval_id: approval.id }, scheduledFor: null });
      remediations++;
      continue;
    }
    const reason = `its remediation runs (${finishedRuns}) all ended without finishing it: workers died on their last attempts`;
    const row = await markApprovalFailed(app.db, approval.id, new Date(), { failure: { error: reason } }).catch(() => undefined);
    if (row !== undefined) failed++;
  }
  // Refused or failed approvals whose email never went (its send failed, or its process died): tell the admins now, once.
  let told = 0;
  for (const approval of await untoldOutcomes(app.db, new Date(Date.now() - TELL_WITHIN_MS))) {
    const effect = await ctx.once(`email:${approval.status}:${approval.id}`, async () => ({
      message_id: (await tellOutcome({ ...app, logger: ctx.log }, await requireTenant(app.db, approval.tenant), approval))?.messageId ?? null,
    }));
    if (effect.state === 'done') told++;
  }
  return {
    ...(expired > 0 ? { approvals_expired: expired } : {}),
    ...(remediations > 0 ? { remediations_enqueued: remediations } : {}),
    ...(failed > 0 ? { approvals_failed: failed } : {}),
    ...(told > 0 ? { outcome_emails: told } : {}),
  };
}

/** Erasure requests that need a run and have none get one; counts for the run's row. */
async function reconcileErasures(ctx: JobContext): Promise<Record<string, number>> {
  const app = ctx.deps.app;
  if (app === undefined) return {};
  let runs = 0;
  for (const request of await erasuresWithoutLiveRun(app.db, new Date())) {
    await ctx.ledger.createRun({ id: newRunId(), kind: 'erasure', tenant: request.tenant, payload: { request_id: request.id }, scheduledFor: null });
    runs++;
  }
  if (runs > 0) ctx.log.info({ erasures: runs }, 'erasure runs created for requests that had none');
  return runs > 0 ? { erasures_enqueued: runs } : {};
}

/** How long a campaign may stay `closing` before reconcile takes it as a closing that died (closing one takes seconds). */
export const STUCK_CLOSING_MS = 5 * 60_000;
/** Runs reconcile gives one stuck closing before leaving it to the daily `review-reminders` run. */
const RUNS_PER_STUCK_CLOSING = 3;

/** Campaigns whose closing died get a `review-reminders` run for their tenant; counts for the run's row. */
async function reconcileReviews(ctx: JobContext, unfinished: readonly RunRecord[]): Promise<Record<string, number>> {
  const app = ctx.deps.app;
  if (app === undefined) return {};
  const stuckBefore = Date.now() - STUCK_CLOSING_MS;
  let runs = 0;
  // At most one campaign per tenant is not closed (the ledger's unique index), so one run per tenant.
  for (const campaign of await campaignsClosing(app.db)) {
    if (campaign.closing_at === null || campaign.closing_at.getTime() >= stuckBefore) continue;
    // A run of the tenant waiting or running resumes it already.
    if (unfinished.some((r) => r.kind === 'review-reminders' && r.tenant === campaign.tenant)) continue;
    const since = await listRuns(app.db, { tenant: campaign.tenant, kind: 'review-reminders', limit: RUNS_PER_STUCK_CLOSING * 10 });
    if (since.filter((r) => r.created_at.getTime() >= campaign.closing_at!.getTime()).length >= RUNS_PER_STUCK_CLOSING) continue;
    await ctx.ledger.createRun({ id: newRunId(), kind: 'review-reminders', tenant: campaign.tenant, payload: {}, scheduledFor: null });
    ctx.log.warn({ campaign: campaign.id }, 'review campaign stuck closing: a review-reminders run resumes it');
    runs++;
  }
  return runs > 0 ? { review_closings_resumed: runs } : {};
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
    const erasures = await reconcileErasures(ctx);
    const reviews = await reconcileReviews(ctx, await ctx.ledger.listUnfinished());
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
    return { schedulers, requeued, retried, failed, unknown, ...approvals, ...erasures, ...reviews };
  },
});
