/**
 * secret-rotation: the SEC rules over the ledger's secrets (age of the
 * current version, stuck rotations), then the rotations themselves
 * (docs/architecture.md "Secret rotation"):
 *
 * - starts a rotation of each secret its policy says is due (the current
 *   version is `rotate_every_days` old; default 90);
 * - starts a rotation of each integration token Warden holds whose owner
 *   left (an open TOK-05 finding on it), once: the new token has the same
 *   owner, so the finding stays, but the leaver's copy is dead;
 * - gives a `rotation` run to each open rotation that has none (a lost
 *   enqueue, a run that stopped on a problem since fixed).
 *
 * Default schedule: daily at 06:45, in the tenant's time zone (README.md
 * "Jobs"). Payload: `{}`.
 */
import { webhookSignatureFailures } from '../src/audit/observers.js';
import { listFindings } from '../src/db/findings.repository.js';
import { RotationInProgressError } from '../src/db/secret-versions.repository.js';
import { rotationsWithoutLiveRun, secretsDue, startRotation, tokenSecretsOf } from '../src/db/secret-rotations.repository.js';
import type { RotationReason, Secret } from '../src/db/database.js';
import type { JobContext } from '../src/queue/define-job.js';
import { newRunId } from '../src/queue/run-id.js';
import { defineAuditJob } from './define-audit-job.js';
import type { AppDeps } from './job-deps.js';

export const secretRotationJob = defineAuditJob({ name: 'secret-rotation', family: 'secrets', schedule: '45 6 * * *', after: driveRotations, observe: [webhookSignatureFailures] });

async function driveRotations(ctx: JobContext, app: AppDeps, tenant: string): Promise<Record<string, number>> {
  const now = new Date();
  const counts: Record<string, number> = {};
  const add = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  const start = async (secret: Secret, reason: RotationReason): Promise<void> => {
    const runKey = newRunId();
    try {
      await startRotation(app.db, { tenant, name: secret.name, reason, requestedBy: 'warden', at: now, runKey });
    } catch (err) {
      // Started meanwhile (by a person, or the other reason): that rotation carries on.
      if (err instanceof RotationInProgressError) return;
      throw err;
    }
    add(`rotations_started_${reason.replace('-', '_')}`);
    await hand(ctx, runKey);
  };
  for (const secret of await secretsDue(app.db, tenant, now)) await start(secret, 'policy');
  const departed = await listFindings(app.db, { tenant, state: 'open', rules: ['TOK-05'] });
  for (const secret of await tokenSecretsOf(app.db, tenant, departed.map((f) => f.subject_id))) await start(secret, 'departed-owner');
  for (const rotation of await rotationsWithoutLiveRun(app.db, tenant)) {
    const runKey = newRunId();
    await ctx.ledger.createRun({ id: runKey, kind: 'rotation', tenant, payload: { rotation_id: rotation.id }, scheduledFor: null });
    await hand(ctx, runKey);
    add('rotation_runs_given');
  }
  return counts;
}

/**
 * Puts a run already in the ledger on its queue. One that does not go now (no
 * Redis, or a runner that does not serve `rotation`, as `warden demo`'s) stays
 * queued in the ledger, where reconcile and tomorrow's run find it: not a fault.
 */
async function hand(ctx: JobContext, runKey: string): Promise<void> {
  const run = await ctx.ledger.get(runKey);
  if (run === undefined) return;
  try {
    await ctx.queue.requeue(run);
  } catch (err) {
    ctx.log.info({ run: runKey, error: (err as Error).message }, 'rotation run left queued in the ledger; reconcile hands it over');
  }
}
