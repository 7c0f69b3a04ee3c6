/**
 * erasure: purges one profile through the platform's Purge endpoint (never
 * the soft delete), then proves it gone (docs/architecture.md "Erasure").
 * Enqueued with the request (`warden purge enqueue|import`, the API, the
 * form), and by `reconcile` for a request that has no live run (a lost
 * enqueue, a run that died for good, a re-verification that is due).
 * Payload: `{ request_id }`, nothing else.
 *
 * The request row is the truth, and each step moves it with a guarded
 * transition, so a second delivery, a second worker or a re-run after a crash
 * picks up where the row stands:
 *
 * - `received`: start purge round 1.
 * - `purging`: the purge call, keyed in the ledger before it is made
 *   (`purge_answers` gets `unknown`, then the answer). A `404` means already
 *   gone and goes on to verification like a success.
 * - `purged`: verify independently (./../src/erasure/verify-erasure.ts). All
 *   checks pass: `verified` (or `not_found` when every answered purge call
 *   said the platform never held the profile), with its certificate, in one
 *   transaction. Otherwise, while the verification window is open, the run is
 *   deferred on a backoff (no attempt spent); once it closes, one more purge
 *   round and window; after that `failed` (PRV-04), and the engineers are
 *   emailed once (a send that fails does not hold the erasure up: the
 *   erasure sweep sends it later).
 * - `verified` / `not_found` with a re-verification due: the profile and its
 *   transactions are checked again (the identifiers were wiped when it ended);
 *   a profile that came back reopens the request, which is purged again.
 * - 5xx, timeouts: retried on the fleet's backoff; on the last attempt the
 *   request is `failed` and the engineers emailed. A 429 pauses the tenant
 *   fleet-wide and defers the run until the pause is over (no attempt spent).
 */
import { z } from 'zod';
import { InvalidTransitionError, NotFoundError } from '../src/db/errors.js';
import type { ErasureRequest, Tenant } from '../src/db/database.js';
import {
  addErasureEvent,
  getErasureRequest,
  markErasureFailed,
  markPurged,
  proveErasure,
  recordChecks,
  recordPurgeAnswer,
  forgetPurgeCall,
  otherLiveErasureRun,
  recordReverifyFailed,
  recordPurgeCall,
  recordReverified,
  reopenErasure,
  startPurgeRound,
} from '../src/db/erasure.repository.js';
import { requireTenant, tenantPolicy } from '../src/db/tenants.repository.js';
import { runIdOf } from '../src/db/job-runs.repository.js';
import { runAudit } from '../src/audit/run-audit.js';
import { parsePolicy } from '../src/rules/policy.js';
import { MAX_PAUSE_MS } from '../src/erasure/pace.js';
import { buildCertificate } from '../src/erasure/certificate.js';
import { erasureClients, type ErasureClients } from '../src/erasure/erasure-client.js';
import { openIdentifiers, type Identifier } from '../src/erasure/identifiers.js';
import { tellErasureFailed, tellErasureReappeared } from '../src/erasure/notify.js';
import { verifyErasure } from '../src/erasure/verify-erasure.js';
import { DomainError, InputError } from '../src/errors.js';
import { HttpStatusError } from '../src/outbound/errors.js';
import { UnknownSecretKeyError } from '../src/secrets/secret-box.js';
import { defineJob, type JobContext } from '../src/queue/define-job.js';
import { PermanentJobError, RunDeferredError } from '../src/queue/errors.js';
import { LeaseLostError } from '../src/queue/lease.js';
import { requireApp, type AppDeps } from './job-deps.js';

export const erasurePayload = z.strictObject({ request_id: z.number().int().positive() });

/** Purge rounds before a request fails: the first, and one more after a verification window that did not see the profile go. */
export const PURGE_ROUNDS = 2;
/** Re-verification after the first one (after the backup window): once a quarter. */
export const REVERIFY_EVERY_MS = 91 * 86_400_000;
/** A re-verification that could not be made is tried again after a day. */
const REVERIFY_RETRY_MS = 86_400_000;
/** The verification backoff: 2 s, doubling, at most a minute (never past the window's end). */
const VERIFY_BACKOFF_MS = 2_000;
const VERIFY_BACKOFF_CAP_MS = 60_000;

export const erasureJob = defineJob({
  name: 'erasure',
  payload: erasurePayload,
  scope: 'tenant',
  attempts: 8,
  async run({ request_id: id }, ctx): Promise<Record<string, number>> {
    const app = requireApp(ctx.deps, 'erasure');
    let request: ErasureRequest;
    try {
      request = await getErasureRequest(app.db, id);
    } catch (err) {
      if (err instanceof NotFoundError) throw new PermanentJobError(err.message);
      throw err;
    }
    if (request.status === 'retained') return { skipped: 1 };
    const reverifying = request.status === 'verified' || request.status === 'not_found';
    if (reverifying && (request.next_reverify_at === null || request.next_reverify_at.getTime() > Date.now())) return { skipped: 1 };
    let tenant: Tenant | undefined;
    try {
      // Inside the try: a set-up problem (the token variable unset) fails the request and tells the engineers, not only the run.
      tenant = await requireTenant(app.db, request.tenant);
      const notify = { ...app, logger: ctx.log };
      if (request.status === 'failed') {
        // Failed by an earlier delivery that may have died before telling the engineers: tell them now, once.
        const failed = request;
        await tell(ctx, id, () => tellErasureFailed(notify, tenant!, failed, new Date()));
        return { skipped: 1 };
      }
      const clients = erasureClients({ ...app, logger: ctx.log, signal: ctx.signal }, tenant);
      if (reverifying) {
        const checks = await verifyErasure(clients.verify, request.profile_id, []);
        if (checks.every((c) => c.passed)) {
          await recordReverified(app.db, id, new Date(), new Date(Date.now() + REVERIFY_EVERY_MS), checks);
          return { reverified: 1 };
        }
        request = await reopenErasure(app.db, id, new Date(), { checks });
        ctx.log.warn({ request: id }, 'an erased profile came back: request reopened, purging again');
        const reopened = request;
        await tell(ctx, id, () => tellErasureReappeared(notify, tenant!, reopened, new Date()));
        await auditPrivacy(ctx, app, tenant.name);
      }
      return await drive(ctx, app, tenant, clients, request);
    } catch (err) {
      // This attempt lost its run (a new holder carries on), or the process is stopping, or the run waits: not a failure.
      if (err instanceof RunDeferredError || err instanceof LeaseLostError || ctx.signal.aborted) throw err;
      if (err instanceof HttpStatusError && err.status === 429) {
        // The pace hook paused the tenant already: wait for it without spending an attempt.
        const retryAfter = Math.min((err as { retryAfterMs?: number }).retryAfterMs ?? 1_000, MAX_PAUSE_MS);
        throw new RunDeferredError(new Date(Date.now() + retryAfter), 'the platform answered 429');
      }
      // Another run moved the request on while this one worked: it carries on from the row. With no other
      // run alive, the row did not move the way this run expects: an error, retried and, at the end, failed.
      if (err instanceof InvalidTransitionError && (await otherLiveErasureRun(app.db, id, ctx.runId))) return anotherRunHasIt(ctx, id);
      // Sealed under a key this worker lacks: during a key change, a worker not yet restarted with the new
      // variables may take the run; another attempt (on another worker, or after the restart) can open them.
      const permanent = !(err instanceof UnknownSecretKeyError) && (err instanceof PermanentJobError || err instanceof InputError || err instanceof DomainError);
      const last = permanent || ctx.attempt >= ctx.queue.maxAttempts('erasure');
      const reason = reasonOf(err);
      await addErasureEvent(app.db, id, 'warden', 'attempt_failed', { attempt: ctx.attempt, error: reason, last });
      if (!last) throw err;
      const current = await getErasureRequest(app.db, id);
      if (reverifying && (current.status === 'verified' || current.status === 'not_found')) {
        // A re-verification that could not be made: tried again tomorrow, said in the trail (not a failed erasure).
        await recordReverifyFailed(app.db, id, new Date(Date.now() + REVERIFY_RETRY_MS), reason);
        throw new PermanentJobError(`re-verification of erasure request ${id} not made: ${reason}`, { cause: err });
      }
      if (!['received', 'purging', 'purged'].includes(current.status)) return anotherRunHasIt(ctx, id);
      const failed = await markErasureFailed(app.db, id, new Date(), reason);
      if (tenant !== undefined) {
        const told = tenant;
        await tell(ctx, id, () => tellErasureFailed({ ...app, logger: ctx.log }, told, failed, new Date()));
      }
      throw new PermanentJobError(`erasure request ${id} failed: ${reason}`, { cause: err });
    }
  },
});

/**
 * The tenant's privacy audit, right after a proven erasure was reopened, so
 * that the finding (PRV-01: open and due) is raised whatever happens next (the
 * second purge may be proven before the hourly sweep). A failure is logged:
 * the sweep raises it then, if the request is still open.
 */
async function auditPrivacy(ctx: JobContext, app: AppDeps, tenant: string): Promise<void> {
  try {
    const runId = await runIdOf(app.db, ctx.runId);
    if (runId === undefined) return;
    await runAudit(app.db, tenant, {
      family: 'privacy',
      runId,
      policy: parsePolicy(await tenantPolicy(app.db, tenant)),
      env: app.env,
      allowPrivateNetworks: app.allowPrivateNetworks,
      logger: ctx.log,
      ...(app.client === undefined ? {} : { client: app.client }),
    });
  } catch (err) {
    ctx.log.warn({ error: reasonOf(err) }, 'privacy audit after a reopened erasure not made; the hourly sweep makes it');
  }
}

/** Moves the request from where it stands to an end (or a deferral). */
async function drive(ctx: JobContext, app: AppDeps, tenant: Tenant, clients: ErasureClients, start: ErasureRequest): Promise<Record<string, number>> {
  let request = start;
  const id = request.id;
  for (;;) {
    if (request.status === 'received') {
      request = await startPurgeRound(app.db, id, 1, new Date());
      await addErasureEvent(app.db, id, 'warden', 'purge_round', { round: 1 });
    }
    if (request.status === 'purging') {
      // Keyed before it is made: a call whose answer never came stays `unknown` in the trail and the certificate.
      const n = await recordPurgeCall(app.db, id);
      let found: boolean;
      try {
        found = await clients.purge.purgeProfile(request.profile_id);
      } catch (err) {
        if (err instanceof HttpStatusError && err.status === 429) await recordPurgeAnswer(app.db, id, n, 'rate_limited');
        // The tenant's pace deferred the run before the call went out (the purge client makes one call, no retry):
        // no call was made, so it is taken back; an `unknown` here would keep a profile never held from being `not_found`.
        if (err instanceof RunDeferredError) await forgetPurgeCall(app.db, id, n);
        throw err;
      }
      await recordPurgeAnswer(app.db, id, n, found ? 'accepted' : 'not_found');
      request = await markPurged(app.db, id, new Date(), tenant.erasure_verify_window_s * 1000);
      await addErasureEvent(app.db, id, 'warden', 'purged', { call: n, answer: found ? 'accepted' : 'not_found (404)' });
    }
    if (request.status !== 'purged') return anotherRunHasIt(ctx, id);
    const checks = await verifyErasure(clients.verify, request.profile_id, identifiersOf(app, request));
    const now = new Date();
    if (checks.every((c) => c.passed)) {
      const outcome = neverHeld(request.purge_answers) ? 'not_found' : 'verified';
      await proveErasure(app.db, id, {
        outcome,
        at: now,
        checks,
        certificate: buildCertificate({ request, tenant, outcome, checks, at: now }),
        nextReverifyAt: new Date(now.getTime() + tenant.backup_window_days * 86_400_000),
      });
      ctx.log.info({ request: id, outcome }, 'erasure proven');
      return { [outcome]: 1 };
    }
    request = await recordChecks(app.db, id, checks);
    const until = request.verify_until ?? now;
    if (now.getTime() < until.getTime()) {
      const wait = Math.min(VERIFY_BACKOFF_CAP_MS, VERIFY_BACKOFF_MS * 2 ** Math.min(10, request.verify_tries - 1));
      throw new RunDeferredError(new Date(Math.min(until.getTime(), now.getTime() + wait)), 'the purge is not visible yet');
    }
    if (request.purge_rounds < PURGE_ROUNDS) {
      await addErasureEvent(app.db, id, 'warden', 'window_closed', { round: request.purge_rounds, checks });
      request = await startPurgeRound(app.db, id, request.purge_rounds + 1, now);
      await addErasureEvent(app.db, id, 'warden', 'purge_round', { round: request.purge_rounds });
      continue;
    }
    const failedChecks = checks.filter((c) => !c.passed).map((c) => `${c.check}${c.identifier ? ` by ${c.identifier}` : ''}: ${c.result}`);
    const failed = await markErasureFailed(app.db, id, now, `still not proven gone after ${PURGE_ROUNDS} purge rounds and their verification windows (${failedChecks.join('; ')})`);
    ctx.log.warn({ request: id }, 'erasure failed: the profile is still there');
    await tell(ctx, id, () => tellErasureFailed({ ...app, logger: ctx.log }, tenant, failed, now));
    return { failed: 1 };
  }
}

/**
 * True when the platform never held the profile: every purge call that was
 * answered said 404, and none went unanswered (a call that timed out may have
 * purged it, and the next one's 404 would then be its own doing). Calls
 * refused with a 429 did nothing (a call never sent is taken back: `forgetPurgeCall`).
 */
export function neverHeld(answers: readonly string[]): boolean {
  const told = answers.filter((a) => a !== 'rate_limited');
  return told.length > 0 && told.every((a) => a === 'not_found');
}

/** The request's identifiers, opened for the searches; none when it was captured without any. */
function identifiersOf(app: AppDeps, request: ErasureRequest): Identifier[] {
  if (request.identifiers === null) return [];
  const ring = app.keyring?.() ?? app.secretKey?.();
  if (ring === undefined) throw new PermanentJobError('this runner has no secret key to open the request’s identifiers with');
  return openIdentifiers(request.identifiers, ring, request.tenant, request.profile_id);
}

/** A message safe for the trail and the email: the error's own (they name routes, never ids or values), on one line. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 300);
}

/**
 * Tells the engineers. A mail problem is logged, and is never the erasure's
 * failure: the email's key was given back, and the erasure sweep tells them
 * within the hour.
 */
async function tell(ctx: JobContext, id: number, send: () => Promise<boolean>): Promise<void> {
  try {
    await send();
  } catch (err) {
    // The code or the class only: a refused recipient's message quotes addresses.
    const error = (err as { code?: unknown }).code ?? (err as Error).name;
    ctx.log.warn({ request: id, error }, 'erasure email not sent; the erasure sweep sends it later');
  }
}

function anotherRunHasIt(ctx: JobContext, id: number): Record<string, number> {
  ctx.log.info({ request: id }, 'nothing to do: another run of this request carries it on');
  return { skipped: 1 };
}
