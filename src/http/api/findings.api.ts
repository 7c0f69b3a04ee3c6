/**
 * The findings API (`/api/v1/findings…`): the filtered, paginated list, one
 * finding with its evidence, runs and history, and its suppression (PUT to
 * set or replace, DELETE to lift). The same read model and the same actions
 * as the pages (src/app/findings-view.ts, src/app/suppressions.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  DEFAULT_PAGE_SIZE,
  FINDING_STATES,
  findingDetail,
  listFindingsPage,
  MAX_PAGE,
  MAX_PAGE_SIZE,
  tenantNames,
  type FindingDetail,
  type FindingsFilter,
  type FindingSummary,
} from '../../app/findings-view.js';
import { personActor } from '../../app/people.js';
import { suppress, unsuppress } from '../../app/suppressions.js';
import type { Person } from '../../db/database.js';
import { RULE_FAMILIES } from '../../rules/registry.js';
import { SEVERITIES } from '../../rules/types.js';
import { visibleTenants } from '../access.js';
import type { WebContext } from '../context.js';
import { AccessError } from '../errors.js';

const TAGS = ['findings'];

/** A filter the page's form may send empty ("any"): an empty value is no filter. */
const optionalChoice = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.union([z.enum(values), z.literal('')]).optional().describe(`only findings of this ${what}; empty or absent: any`);

/** The filters of the list and of its CSV (page and API alike). */
export const FindingsFilterSchema = z.object({
  tenant: z.string().max(200).optional().describe('only this tenant; empty or absent: every tenant you may see'),
  family: optionalChoice(RULE_FAMILIES as readonly string[] as [string, ...string[]], 'rule family'),
  rule: z.string().max(40).optional().describe('only this rule id, e.g. ACC-01; empty or absent: any'),
  severity: optionalChoice(SEVERITIES, 'severity'),
  state: z
    .union([z.enum(FINDING_STATES), z.literal('')])
    .optional()
    .describe('open (unresolved, not suppressed; the default), suppressed (unresolved, under a suppression in force), resolved, or all'),
});

export const FindingsListQuerySchema = FindingsFilterSchema.extend({
  page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1).describe(`from 1 to ${MAX_PAGE}`),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`1 to ${MAX_PAGE_SIZE}`),
});

export const FindingParamsSchema = z.object({
  tenant: z.string().min(1).max(200),
  fingerprint: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a finding fingerprint: letters, digits, - and _'),
});

/** The filter as the read model takes it: an empty choice is no filter. */
export function filterOf(query: z.infer<typeof FindingsFilterSchema>): FindingsFilter {
  const blank = <T extends string>(v: T | '' | undefined): T | undefined => (v === '' || v === undefined ? undefined : v);
  return {
    tenant: blank(query.tenant),
    family: blank(query.family) as FindingsFilter['family'],
    rule: blank(query.rule),
    severity: blank(query.severity),
    state: blank(query.state),
  };
}

/** The signed-in person (the access hook has made sure there is one). */
export function signedIn(req: FastifyRequest): Person {
  const person = req.principal?.person;
  if (person === undefined) throw new AccessError(401, 'sign in first');
  return person;
}

/** The tenants the signed-in person may see. */
export async function visibleTo(ctx: WebContext, req: FastifyRequest): Promise<string[]> {
  return visibleTenants(signedIn(req), await tenantNames(ctx.db));
}

const instant = z.string().describe('ISO 8601 instant, UTC');

const FindingSummarySchema = z.object({
  tenant: z.string(),
  fingerprint: z.string(),
  rule: z.string(),
  family: z.string(),
  name: z.string(),
  severity: z.enum(SEVERITIES),
  subject: z.object({ type: z.string(), id: z.string(), label: z.string() }),
  title: z.string(),
  action: z.string(),
  requires_approval: z.boolean(),
  state: z.enum(['open', 'suppressed', 'resolved']),
  first_seen: instant,
  last_seen: instant,
  resolved_at: instant.nullable(),
  reopened_at: instant.nullable(),
  suppressed_until: instant.nullable().describe('the end of the suppression in force; null when none is'),
});

export const FindingsPageSchema = z.object({
  items: z.array(FindingSummarySchema),
  page: z.number().int(),
  page_size: z.number().int(),
  total: z.number().int().describe('findings matching the filter, on every page'),
});

export const SuppressionSchema = z.object({
  tenant: z.string(),
  fingerprint: z.string(),
  reason: z.string(),
  author: z.string().describe('who suppressed it: a person’s address, or an OS login from the CLI'),
  created_at: instant,
  expires_at: instant,
});

export const FindingDetailSchema = FindingSummarySchema.extend({
  evidence: z.record(z.string(), z.unknown()).describe('what the rule saw (never a secret value)'),
  suppression: SuppressionSchema.omit({ tenant: true, fingerprint: true }).nullable(),
  job_kind: z.string().describe('the audit job whose runs see this finding’s family'),
  runs: z
    .array(z.object({ id: z.number().int(), kind: z.string(), started_at: instant.nullable(), finished_at: instant.nullable(), certain: z.boolean() }))
    .describe(
      'succeeded runs of job_kind for the tenant whose span meets first_seen…last_seen, newest first; ' +
        'certain is false for a run between the first sighting and a reopening (the finding may have been resolved then)',
    ),
  runs_total: z.number().int(),
  history: z.array(
    z.object({
      at: instant,
      event: z.enum(['first_seen', 'resolved', 'reopened', 'suppressed', 'unsuppressed', 'audit']),
      actor: z.string().nullable(),
      action: z.string().nullable(),
      details: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});

export const SuppressBodySchema = z.strictObject({
  reason: z.string().max(10_000).describe('why the finding is accepted, 1 to 500 characters'),
  expires_at: z.string().max(100).describe('when the suppression ends: YYYY-MM-DD (00:00 UTC) or an ISO 8601 instant; in the future, at most a year ahead'),
});

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function summaryJson(f: FindingSummary): z.infer<typeof FindingSummarySchema> {
  return {
    tenant: f.tenant,
    fingerprint: f.fingerprint,
    rule: f.rule,
    family: f.family,
    name: f.name,
    severity: f.severity,
    subject: f.subject,
    title: f.title,
    action: f.action,
    requires_approval: f.requires_approval,
    state: f.state,
    first_seen: iso(f.first_seen),
    last_seen: iso(f.last_seen),
    resolved_at: isoOrNull(f.resolved_at),
    reopened_at: isoOrNull(f.reopened_at),
    suppressed_until: isoOrNull(f.suppressed_until),
  };
}

function detailJson(f: FindingDetail): z.infer<typeof FindingDetailSchema> {
  return {
    ...summaryJson(f),
    evidence: f.evidence,
    suppression: f.suppression === null ? null : { reason: f.suppression.reason, author: f.suppression.author, created_at: iso(f.suppression.created_at), expires_at: iso(f.suppression.expires_at) },
    job_kind: f.job_kind,
    runs: f.runs.map((r) => ({ id: r.id, kind: r.kind, started_at: isoOrNull(r.started_at), finished_at: isoOrNull(r.finished_at), certain: r.certain })),
    runs_total: f.runs_total,
    history: f.history.map((h) => ({ at: iso(h.at), event: h.event, actor: h.actor, action: h.action, details: h.details })),
  };
}

export function registerFindingsApi(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/findings',
    { schema: { tags: TAGS, summary: 'Findings of the tenants you may see, most severe first', querystring: FindingsListQuerySchema, response: { 200: FindingsPageSchema } } },
    async (req) => {
      const page = await listFindingsPage(ctx.db, await visibleTo(ctx, req), { ...filterOf(req.query), page: req.query.page, pageSize: req.query.page_size }, ctx.now());
      return { ...page, items: page.items.map(summaryJson) };
    },
  );

  r.get(
    '/api/v1/findings/:tenant/:fingerprint',
    { schema: { tags: TAGS, summary: 'One finding: evidence, suppression, the runs that saw it, its history', params: FindingParamsSchema, response: { 200: FindingDetailSchema } } },
    async (req) => detailJson(await findingDetail(ctx.db, await visibleTo(ctx, req), req.params.tenant, req.params.fingerprint, ctx.now())),
  );

  r.put(
    '/api/v1/findings/:tenant/:fingerprint/suppression',
    {
      schema: {
        tags: TAGS,
        summary: 'Suppress a finding until a date, with a reason (compliance role; replaces a suppression it has)',
        params: FindingParamsSchema,
        body: SuppressBodySchema,
        response: { 200: SuppressionSchema },
      },
    },
    async (req) => {
      const s = await suppress(
        ctx.db,
        { tenant: req.params.tenant, fingerprint: req.params.fingerprint, reason: req.body.reason, expiresAt: req.body.expires_at },
        personActor(signedIn(req)),
        ctx.now(),
      );
      return { tenant: s.tenant, fingerprint: s.fingerprint, reason: s.reason, author: s.author, created_at: iso(s.created_at), expires_at: iso(s.expires_at) };
    },
  );

  r.delete(
    '/api/v1/findings/:tenant/:fingerprint/suppression',
    {
      schema: {
        tags: TAGS,
        summary: 'Lift the suppression of a finding (compliance role); 404 when it has none in force',
        params: FindingParamsSchema,
        response: { 204: z.undefined().describe('lifted') },
      },
    },
    async (req, reply) => {
      await unsuppress(ctx.db, req.params.tenant, req.params.fingerprint, personActor(signedIn(req)), ctx.now());
      return reply.code(204).send();
    },
  );
}
