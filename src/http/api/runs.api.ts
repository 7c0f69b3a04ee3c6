/**
 * `GET /api/v1/runs` (job runs, filtered by tenant, kind and status, 50 a
 * page, newest first) and `GET /api/v1/runs/:id` (one run): the same read
 * functions as the pages (src/app/runs-view.ts). Runs of tenants the caller
 * may not see are left out of lists and answer 404 by id.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findRunView, listRunsView } from '../../app/runs-view.js';
import { JOB_RUN_STATUSES } from '../../db/database.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';
import { visibleRun } from '../visible-run.js';
import { problemResponses } from './problem.schema.js';

const Instant = z.iso.datetime();

export const RunSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  tenant: z.string().nullable().describe('null for a fleet-wide job such as reconcile'),
  status: z.enum(JOB_RUN_STATUSES),
  attempts: z.number().int().describe('attempts started so far'),
  scheduled_for: Instant.describe('the scheduler tick it is for, or when it was asked for'),
  created_at: Instant.describe('when it became a ledger row'),
  started_at: Instant.nullable(),
  finished_at: Instant.nullable(),
  duration_ms: z.number().int().nullable().describe('from the last attempt’s start to its end'),
  counts: z.record(z.string(), z.number()).describe('what the job reported, e.g. findings, created, persisting, resolved'),
  error: z.string().nullable(),
});

/** A page number: 1 to 100 000. */
export const PageNumber = z.coerce.number().int().min(1).max(100_000);

/** A run id in a path. */
export const RunParams = z.object({ id: z.coerce.number().int().min(1).max(2 ** 31 - 1) });

export function registerRunsApi(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const kinds = ctx.app.registry.names;

  r.get(
    '/api/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Job runs, newest first, 50 a page',
        querystring: z.object({
          tenant: z.string().min(1).max(100).optional(),
          kind: z.enum(kinds).optional(),
          status: z.enum(JOB_RUN_STATUSES).optional(),
          page: PageNumber.default(1),
        }),
        response: {
          200: z.object({
            runs: z.array(RunSchema),
            page: z.number().int(),
            per_page: z.number().int(),
            total: z.number().int().describe('runs matching the filter, on every page'),
            pages: z.number().int(),
          }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => listRunsView(ctx.db, personOf(req).tenants, req.query),
  );

  r.get(
    '/api/v1/runs/:id',
    {
      schema: {
        tags: ['runs'],
        summary: 'One job run',
        params: RunParams,
        response: { 200: RunSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => {
      return visibleRun(req, await findRunView(ctx.db, req.params.id));
    },
  );
}
