/**
 * remediation: carries out one approved removal, revocation, webhook
 * switch-off or role change (src/approvals/kinds.ts), then proves it
 * (docs/architecture.md "Approvals and remediation"). Enqueued when an
 * approval is approved (and by `reconcile` for an approved one whose run was
 * lost). Payload: `{ approval_id }`, nothing else.
 *
 * The approval row is the truth, and each step moves it with a guarded
 * transition, so a second delivery, a second worker or a re-run after a crash
 * picks up where the row stands:
 *
 * - `approved`: re-check on live data (src/approvals/remediate.ts); for an
 *   access review's approval, what drifted from the campaign's frozen snapshot
 *   is recorded on its review item with the re-check. Already gone
 *   (or a webhook already off) counts as done (executed without acting, then verified); a finding that no
 *   longer holds, or a guardrail, refuses it (`refused`, the admins emailed).
 *   Otherwise act, once (`ctx.once('act')`; the DELETE or PUT is idempotent, so an
 *   attempt that died mid-call repeats it), and mark it `executed` with the
 *   platform's answer.
 * - `executed`: verify independently; still there throws and is retried on the
 *   fleet's backoff (the platform may be slow to forget).
 * - A failure (5xx, 429, timeout, still there) is retried; on the last attempt
 *   the approval becomes `failed` and the admins are emailed, once.
 * - Any other status: nothing to do (a finished approval, or one never approved).
 *   A guarded move that finds the row moved by another run (two runs of one
 *   approval) stops this one quietly: the other carries on from the row.
 */
import { z } from 'zod';
import { actOn, recheckApproval, remediationClient, verifyDone } from '../src/approvals/remediate.js';
import { tellOutcome } from '../src/approvals/notify.js';
import {
  claimApprovalAct,
  hasApprovalEvent,
  getApproval,
  markApprovalExecuted,
  markApprovalFailed,
  markApprovalRefused,
  markApprovalVerified,
  recordApprovalEvent,
} from '../src/db/approvals.repository.js';
import type { Approval, Tenant } from '../src/db/database.js';
import { InvalidTransitionError, NotFoundError } from '../src/db/errors.js';
import { inTransaction, type Db } from '../src/db/executor.js';
import { recordItemDrift } from '../src/db/reviews.repository.js';
import { LeaseLostError } from '../src/queue/lease.js';
import { requireTenant } from '../src/db/tenants.repository.js';
import { DomainError, InputError } from '../src/errors.js';
import { defineJob } from '../src/queue/define-job.js';
import { PermanentJobError } from '../src/queue/errors.js';
import { requireApp } from './job-deps.js';

export const remediationPayload = z.strictObject({ approval_id: z.number().int().positive() });

/** A message safe for the trail and the email: the error's own (they never carry secrets), on one line. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 300);
}

export const remediationJob = defineJob({
  name: 'remediation',
  payload: remediationPayload,
  scope: 'tenant',
  async run({ approval_id: id }, ctx): Promise<Record<string, number>> {
    const app = requireApp(ctx.deps, 'remediation');
    let approval: Approval;
    try {
      approval = await getApproval(app.db, id);
    } catch (err) {
      if (err instanceof NotFoundError) throw new PermanentJobError(err.message);
      throw err;
    }
    const tenant = await requireTenant(app.db, approval.tenant);
    const notify = { ...app, logger: ctx.log };
    if (approval.status === 'refused' || approval.status === 'failed') {
      // Ended by an earlier delivery that may have died before telling the admins: tell them now, once.
      await tellAdmins(ctx, notify, tenant, approval);
      return { skipped: 1 };
    }
    if (approval.status !== 'approved' && approval.status !== 'executed') {
      ctx.log.info({ approval: id, status: approval.status }, 'nothing to do: the approval is not approved or executed');
      return { skipped: 1 };
    }
    const deps = { db: app.db, env: app.env, allowPrivateNetworks: app.allowPrivateNetworks, logger: ctx.log, ...(app.client === undefined ? {} : { client: app.client }) };
    try {
      const client = remediationClient(deps, tenant);
      if (approval.status === 'approved') {
        // One run acts on an approval at a time: a second run of it (a double submit, reconcile
        // racing the first) leaves it to the run that holds it, which ends it either way.
        const claim = await claimAct(ctx, app.db, id);
        if (claim === 'held') return anotherRunHasIt(ctx, id);
        const recheck = await recheckApproval(deps, tenant, approval, new Date());
        const itemId = approval.review_item_id;
        await inTransaction(app.db, async (trx) => {
          await recordApprovalEvent(trx, id, 'warden', 'recheck', { ...recheck });
          // Only a real drift is written: an item whose account was as the reviewer saw it keeps none (its re-check says so).
          if (itemId !== null && recheck.drift !== undefined) await recordItemDrift(trx, itemId, { ...recheck.drift, checked_at: recheck.checked_at });
        });
        if (recheck.verdict === 'no_longer_holds' || recheck.verdict === 'guarded' || recheck.verdict === 'impact_changed') {
          approval = await markApprovalRefused(app.db, id, new Date(), { recheck });
          ctx.log.warn({ approval: id, verdict: recheck.verdict }, 'remediation refused by the re-check');
          await tellAdmins(ctx, notify, tenant, approval);
          return { refused: 1 };
        }
        const acted =
          recheck.verdict === 'already_gone'
            ? // Gone by hand, or by an earlier attempt's DELETE whose answer was lost (a timeout): done either way.
              { call: null, answer: 'not called: already gone when Warden came to act (removed by hand, or by an earlier attempt whose answer was lost)', at: new Date().toISOString() }
            : await actResult(ctx, client, approval);
        approval = await markApprovalExecuted(app.db, id, new Date(), { recheck, act: acted });
      }
      const verification = await verifyDone(client, approval, new Date());
      await markApprovalVerified(app.db, id, new Date(), { verification });
      ctx.log.info({ approval: id, kind: approval.kind }, 'remediation verified');
      return { verified: 1 };
    } catch (err) {
      // This attempt lost its run (a new holder carries on) or the process is stopping: not the approval's failure.
      if (err instanceof LeaseLostError || ctx.signal.aborted) throw err;
      // Another run moved the approval on (executed, verified, refused) while this one worked: not a failure of it.
      if (err instanceof InvalidTransitionError) return anotherRunHasIt(ctx, id);
      const permanent = err instanceof PermanentJobError || err instanceof InputError || err instanceof DomainError;
      const last = permanent || ctx.attempt >= ctx.queue.maxAttempts('remediation');
      const reason = reasonOf(err);
      const current = await getApproval(app.db, id);
      if (current.status !== 'approved' && current.status !== 'executed') return anotherRunHasIt(ctx, id);
      await recordApprovalEvent(app.db, id, 'warden', 'attempt_failed', { attempt: ctx.attempt, error: reason, last });
      if (!last) throw err;
      const failed = await markApprovalFailed(app.db, id, new Date(), { failure: { error: reason, attempts: ctx.attempt } });
      await tellAdmins(ctx, notify, tenant, failed);
      throw new PermanentJobError(`approval ${id} failed: ${reason}`, { cause: err });
    }
  },
});

type Ctx = Parameters<(typeof remediationJob)['run']>[1];

/** How long a removal of an admin waits for another admin's removal in the same tenant, in one attempt. */
const ADMIN_WAIT_MS = 30_000;

/**
 * Claims the act ({@link claimApprovalAct}); while another of the tenant's
 * admins is being removed, waits for it (then this removal is re-checked
 * after it), and past {@link ADMIN_WAIT_MS} leaves it to the next attempt.
 */
async function claimAct(ctx: Ctx, db: Db, id: number): Promise<'claimed' | 'held'> {
  const until = Date.now() + ADMIN_WAIT_MS;
  for (;;) {
    const claim = await claimApprovalAct(db, id, ctx.runId, new Date());
    if (claim !== 'admin_busy') return claim;
    if (Date.now() >= until || ctx.signal.aborted) throw new Error('another removal of one of the tenant’s admins is being carried out: this one waits for it (tried again on the backoff)');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Emails the admins that an approval was refused or failed, once per approval
 * (the trail's `outcome_emailed`, also for another run of it), and once per
 * run (`ctx.once`).
 */
async function tellAdmins(ctx: Ctx, notify: Parameters<typeof tellOutcome>[0], tenant: Tenant, approval: Approval): Promise<void> {
  if (await hasApprovalEvent(notify.db, approval.id, 'outcome_emailed')) return;
  await ctx.once(`email:${approval.status}`, async () => ({ message_id: (await tellOutcome(notify, tenant, approval))?.messageId ?? null }));
}

function anotherRunHasIt(ctx: Parameters<(typeof remediationJob)['run']>[1], id: number): Record<string, number> {
  ctx.log.info({ approval: id }, 'nothing to do: another run of this approval carries it out');
  return { skipped: 1 };
}

/** The act's answer as recorded by `ctx.once` (this attempt's, or the one an earlier attempt recorded). */
async function actResult(
  ctx: Parameters<(typeof remediationJob)['run']>[1],
  client: ReturnType<typeof remediationClient>,
  approval: Approval,
): Promise<Record<string, unknown>> {
  const effect = await ctx.once('act', () => actOn(client, approval, new Date()), { ifInterrupted: 'retry' });
  if (effect.state === 'done') return effect.result;
  if (effect.state === 'already-done') return effect.result as Record<string, unknown>;
  return { call: null, answer: 'interrupted', at: new Date().toISOString() };
}
