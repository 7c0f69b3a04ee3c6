/**
 * `GET /api/v1/tenants` (the tenants the caller may see, with their open
 * findings by severity) and `GET /api/v1/tenants/:tenant` (one tenant's
 * settings and dashboard): the same read functions as the pages
 * (src/app/tenants-view.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listTenantOverviews, tenantDashboard, tenantSettings } from '../../app/tenants-view.js';
import { JOB_RUN_STATUSES } from '../../db/database.js';
import { POLICY_KEYS } from '../../report/policy.format.js';
import { RULE_FAMILIES } from '../../rules/engine.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';
import { problemResponses } from './problem.schema.js';

const Instant = z.iso.datetime();
const Family = z.enum(RULE_FAMILIES);
const RunStatus = z.enum(JOB_RUN_STATUSES);

export const SeverityCountsSchema = z
  .object({ critical: z.number().int(), high: z.number().int(), medium: z.number().int(), low: z.number().int() })
  .describe('open findings by severity, suppressed ones left out');

export const TenantOverviewSchema = z.object({
  name: z.string(),
  time_zone: z.string(),
  open: SeverityCountsSchema,
  open_total: z.number().int(),
  suppressed: z.number().int().describe('open findings under a suppression in force, counted apart'),
  pending_approvals: z.number().int(),
});

const RunRefSchema = z.object({
  id: z.number().int(),
  status: RunStatus,
  created_at: Instant,
  started_at: Instant.nullable(),
  finished_at: Instant.nullable(),
});

const ScheduleSchema = z.object({
  job: z.string(),
  pattern: z.string().describe('cron pattern, in time_zone'),
  time_zone: z.string(),
  next_fire_at: Instant.nullable().describe('the next tick; null when the pattern never fires again'),
});

const Count = z.number().int().nullable();

export const DashboardSchema = z.object({
  tenant: z.string(),
  time_zone: z.string(),
  generated_at: Instant,
  open: z.object({
    families: z.array(z.object({ family: Family, open: SeverityCountsSchema, total: z.number().int(), suppressed: z.number().int() })),
    total: SeverityCountsSchema,
    open_total: z.number().int(),
    suppressed: z.number().int(),
  }),
  pending_approvals: z.number().int(),
  jobs: z.array(
    z.object({
      kind: z.string(),
      family: Family.nullable().describe('the rule family an audit job checks; null for other jobs'),
      last_run: RunRefSchema.nullable(),
      schedules: z.array(ScheduleSchema),
      next_fire_at: Instant.nullable(),
    }),
  ),
  trend: z
    .array(
      z.object({
        family: Family,
        kind: z.string().describe('the audit job of the family'),
        points: z.array(
          z.object({
            run_id: z.number().int(),
            status: RunStatus,
            finished_at: Instant,
            findings: Count.describe('findings of the family the run found (suppressed ones included); null when it reported none (it failed)'),
            created: Count,
            persisting: Count,
            resolved: Count,
          }),
        ),
      }),
    )
    .describe('the last 12 finished runs of each family’s audit job, oldest first'),
});

export const SettingsSchema = z.object({
  name: z.string(),
  platform_host: z.string().nullable(),
  token_variable: z.string().describe('the name of the variable holding the platform token; never its value'),
  time_zone: z.string(),
  directory: z.string().nullable().describe('csv or scim, or null without a directory'),
  recipients: z.array(z.object({ audience: z.string(), count: z.number().int() })).describe('digest recipients per audience: counts, not addresses'),
  policy: z.array(z.object({ key: z.enum(POLICY_KEYS), value: z.number(), default: z.number(), overridden: z.boolean() })),
  schedules: z.array(ScheduleSchema),
  created_at: Instant,
});

export const TenantParams = z.object({ tenant: z.string().min(1).max(100) });

export function registerTenantsApi(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const deps = { db: ctx.db, registry: ctx.app.registry };

  r.get(
    '/api/v1/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'The tenants the caller may see, with their open findings',
        response: { 200: z.object({ tenants: z.array(TenantOverviewSchema) }), ...problemResponses(401) },
      },
    },
    async (req) => ({ tenants: await listTenantOverviews(ctx.db, personOf(req).tenants, ctx.now()) }),
  );

  r.get(
    '/api/v1/tenants/:tenant',
    {
      schema: {
        tags: ['tenants'],
        summary: 'One tenant: its settings and its dashboard',
        params: TenantParams,
        response: { 200: z.object({ settings: SettingsSchema, dashboard: DashboardSchema }), ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const visible = personOf(req).tenants;
      const settings = await tenantSettings(deps, req.params.tenant, visible);
      const dashboard = await tenantDashboard(deps, req.params.tenant, visible, ctx.now());
      return { settings, dashboard };
    },
  );
}
