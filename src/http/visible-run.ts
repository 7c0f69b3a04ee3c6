/** The run check of routes whose tenant scope is `row` (`/runs/:id`, `/api/v1/runs/:id`). */
import type { FastifyRequest } from 'fastify';
import type { RunView } from '../app/runs-view.js';
import { NotFoundError, UnknownTenantError } from '../db/errors.js';
import { assertCanSee } from './auth.hook.js';

/**
 * The run, when the person may see its tenant (a run without one is everyone's).
 * One they may not see answers exactly as a run that does not exist: the
 * answer names neither the tenant nor that the run is there.
 */
export function visibleRun(req: FastifyRequest, run: RunView): RunView {
  try {
    assertCanSee(req, run.tenant);
  } catch (err) {
    if (err instanceof UnknownTenantError) throw new NotFoundError('job_run', run.id);
    throw err;
  }
  return run;
}
