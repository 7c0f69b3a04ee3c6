/**
 * rotation: drives one secret's rotation through create, set, test, finish
 * and the overlap (src/rotation/drive-rotation.ts; docs/architecture.md
 * "Secret rotation"). Started with the rotation (`warden secrets rotate`, the
 * API, the page, the `secret-rotation` job's policy), and given again by the
 * `secret-rotation` job to an open rotation that has no live run.
 * Payload: `{ rotation_id }`, nothing else.
 *
 * A step that cannot finish now (a delivery not seen yet, the platform
 * failing) records what it waits for and defers the run on a backoff, without
 * spending an attempt: the rotation stays where it is, and SEC-02 fires if it
 * stays pending too long. A set-up problem (the tenant's token variable
 * unset, a machine user gone) is recorded the same way and ends the run; the
 * daily `secret-rotation` job tries again. A second run of a rotation that
 * has an older one queued or running ends at once: one run drives it.
 */
import { z } from 'zod';
import { InvalidTransitionError, NotFoundError } from '../src/db/errors.js';
import { getRotation, olderLiveRun, recordWaiting } from '../src/db/secret-rotations.repository.js';
import { DomainError, InputError } from '../src/errors.js';
import { HttpError, HttpStatusError } from '../src/outbound/errors.js';
import { defineJob } from '../src/queue/define-job.js';
import { PermanentJobError, RunDeferredError } from '../src/queue/errors.js';
import { LeaseLostError } from '../src/queue/lease.js';
import { driveRotation, nextTry } from '../src/rotation/drive-rotation.js';
import { rotationClients } from '../src/rotation/rotation-clients.js';
import { requireApp } from './job-deps.js';

export const rotationPayload = z.strictObject({ rotation_id: z.number().int().positive() });

export const rotationJob = defineJob({
  name: 'rotation',
  payload: rotationPayload,
  scope: 'tenant',
  async run({ rotation_id: id }, ctx): Promise<Record<string, number>> {
    const app = requireApp(ctx.deps, 'rotation');
    if (app.secretKey === undefined) throw new PermanentJobError('this runner has no secret key to seal and open secret versions with');
    const secretKey = app.secretKey;
    if (await olderLiveRun(app.db, id, ctx.runId)) {
      ctx.log.info({ rotation: id }, 'nothing to do: an older run of this rotation drives it');
      return { skipped: 1 };
    }
    try {
      const outcome = await driveRotation(
        {
          db: app.db,
          mailer: app.mailer,
          mailFrom: app.mailFrom,
          ...(app.publicUrl === undefined ? {} : { publicUrl: app.publicUrl }),
          logger: ctx.log,
          secretKey,
          ...(app.keyring === undefined ? {} : { keyring: app.keyring }),
          clients: (tenant) => rotationClients({ ...app, logger: ctx.log }, tenant),
        },
        id,
      );
      if (!('retryAt' in outcome)) return { [outcome.state]: 1 };
      throw new RunDeferredError(outcome.retryAt, `rotation ${id} waits at ${outcome.state}`);
    } catch (err) {
      if (err instanceof RunDeferredError || err instanceof LeaseLostError || ctx.signal.aborted) throw err;
      if (err instanceof NotFoundError && err.entity === 'secret_rotation') throw new PermanentJobError(err.message);
      if (err instanceof InvalidTransitionError && err.entity === 'secret_rotation') {
        ctx.log.info({ rotation: id }, 'nothing to do: the rotation moved on elsewhere (another run, a rollback)');
        return { skipped: 1 };
      }
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
      const rotation = await getRotation(app.db, id);
      if (rotation.state === 'done' || rotation.state === 'rolled_back') return { skipped: 1 };
      const waited = await recordWaiting(app.db, id, rotation.state, `${err instanceof HttpError ? 'the platform failed' : 'a problem to fix'}: ${reason}`);
      // The platform failing (5xx, 429, timeouts, no answer) is waited out, like a propagation delay.
      const refused = err instanceof HttpStatusError && err.refusedCredentials;
      if (err instanceof HttpError && !refused) {
        ctx.log.warn({ rotation: id, state: rotation.state, error: reason }, 'rotation step failed on the platform; tried again on a backoff');
        throw new RunDeferredError(nextTry(new Date(), waited.tries), `rotation ${id}: the platform failed`);
      }
      if (err instanceof InputError || err instanceof DomainError || err instanceof HttpError) throw new PermanentJobError(`rotation ${id} stopped at ${rotation.state}: ${reason}`, { cause: err });
      throw err;
    }
  },
});
