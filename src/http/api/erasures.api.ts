/**
 * The erasures API (`/api/v1/erasures…`, docs/architecture.md "Erasure"):
 * enqueue a GDPR erasure request (idempotent per tenant and profile: 201 for a
 * new one, 200 with `created: false` for the one already there), the list
 * newest first, the status counts (`warden purge status --format json`'s
 * contract), one request with its trail and last checks, its certificate (409
 * until the erasure is proven), and the decisions: extend the deadline once,
 * retain on purpose, retry failed requests. The same actions as the pages and
 * the CLI (src/app/erasures.ts). Identifiers go in, and never come out: a
 * request shows only their kinds.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  enqueueErasure,
  erasureCertificate,
  erasureDetail,
  erasureStatus,
  extendErasure,
  listErasureViews,
  retainErasureAction,
  retryErasures,
  type ErasureActionDeps,
} from '../../app/erasures.js';
import { personActor } from '../../app/people.js';
import { ERASURE_REQUEST_STATUSES } from '../../db/database.js';
import { MAX_EXTENSION_MONTHS } from '../../erasure/deadline.js';
import { MAX_IDENTIFIERS, parseIdentifier } from '../../erasure/identifiers.js';
import { assertCanSee } from '../auth.hook.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';
import { problemResponses } from './problem.schema.js';

const TAGS = ['erasures'];
const Instant = z.iso.datetime();
const Status = z.enum(ERASURE_REQUEST_STATUSES);

/** Requests a page of the list holds at most. */
export const MAX_ERASURES_PAGE = 500;

/** What the erasure actions need, from the web app's context. */
export function erasureDeps(ctx: WebContext): ErasureActionDeps {
  return {
    db: ctx.db,
    dispatch: (kind, runs) => ctx.dispatch(kind, runs),
    secretKey: () => ctx.secretKey(),
    log: ctx.log,
    now: () => ctx.now(),
  };
}

/** An erasure request id in a path. */
export const ErasureParams = z.object({ id: z.coerce.number().int().min(1).max(2 ** 31 - 1) });

/** The list's filters; status is checked by the action (one message for every face), an empty value is no filter. */
export const ErasuresQuerySchema = z.object({
  tenant: z.string().max(100).optional().describe('only this tenant; empty or absent: every tenant you may see'),
  status: z.string().max(40).optional().describe(`one of ${ERASURE_REQUEST_STATUSES.join(', ')}; empty or absent: any`),
  before: z.coerce.number().int().min(1).max(2 ** 31 - 1).optional().describe('requests older than this id: the next page (next_before of the last)'),
  limit: z.coerce.number().int().min(1).max(MAX_ERASURES_PAGE).default(100).describe(`requests a page, 1 to ${MAX_ERASURES_PAGE}`),
});

export const ErasureViewSchema = z.object({
  id: z.number().int(),
  tenant: z.string(),
  profile_id: z.string().describe('the platform’s profile id'),
  status: Status,
  reference: z.string().nullable().describe('the requester’s own reference, e.g. a ticket'),
  requested_by: z.string(),
  received_at: Instant,
  deadline_at: Instant.describe('one calendar month from receipt (GDPR Art. 12(3)), or as extended'),
  overdue: z.boolean(),
  extended: z.object({ months: z.number().int(), reason: z.string().nullable(), by: z.string().nullable(), at: Instant.nullable() }).nullable(),
  purged_at: Instant.nullable(),
  verified_at: Instant.nullable(),
  failed_at: Instant.nullable(),
  retained: z.object({ reason: z.string().nullable(), by: z.string().nullable(), at: Instant.nullable() }).nullable(),
  error: z.string().nullable(),
  purge_rounds: z.number().int(),
  purge_answers: z.array(z.string()),
  identifier_kinds: z.array(z.string()).describe('the kinds of the identifiers captured (email, phone): never their values'),
  identifiers_held: z.boolean().describe('whether the sealed identifiers are still held; they are wiped when the request ends'),
  next_reverify_at: Instant.nullable(),
  reopened: z.number().int().describe('times the profile reappeared after it was proven gone'),
});

export const ErasureStatusSchema = z.object({
  counts: z.object(Object.fromEntries(ERASURE_REQUEST_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof ERASURE_REQUEST_STATUSES)[number], z.ZodNumber>),
  overdue: z.number().int().describe('open requests past their deadline'),
  due_within_7_days: z.number().int().describe('open requests whose deadline is within 7 days'),
  oldest_open: z.object({ id: z.number().int(), status: Status, received_at: Instant, deadline_at: Instant }).nullable(),
});

const CheckSchema = z.looseObject({
  check: z.string().describe('profile, search (by one identifier) or transactions'),
  identifier: z.string().optional().describe('for a search: the kind of identifier searched by, never its value'),
  call: z.string(),
  passed: z.boolean(),
  result: z.string(),
  at: Instant,
});

export const ErasureDetailSchema = z.object({
  request: ErasureViewSchema,
  events: z.array(z.object({ at: Instant, actor: z.string(), event: z.string(), detail: z.record(z.string(), z.unknown()) })).describe('the trail, oldest first'),
  checks: z.array(CheckSchema).describe('the last verification’s checks'),
  certificate: z.object({ id: z.number().int(), outcome: z.string(), issued_at: Instant, sha256: z.string() }).nullable(),
});

export const CertificateSchema = z.object({
  id: z.number().int(),
  request_id: z.number().int(),
  outcome: z.string().describe('verified or not_found'),
  issued_at: Instant,
  sha256: z.string().describe('SHA-256 of the certificate, also recorded in the hash-chained audit log'),
  certificate: z.record(z.string(), z.unknown()).describe('the certificate of erasure: instants, every check, salted hashes of the identifiers'),
});

const EnqueuedSchema = z.object({
  request: ErasureViewSchema,
  created: z.boolean().describe('false: the tenant already had a request for this profile, which is returned and nothing is written'),
  run: z.string().nullable().describe('the erasure run of a new request; null for an existing one'),
});

const Reason = z.string().max(10_000);

export const EnqueueBodySchema = z.strictObject({
  tenant: z.string().min(1).max(100),
  profile_id: z.union([z.string().max(40), z.number().int().min(1)]).describe('the platform’s profile id, a whole number'),
  received_at: z.string().max(40).optional().describe('an ISO 8601 instant or date, not in the future; absent: now'),
  reference: z.string().max(1000).optional().describe('your reference (a ticket), at most 200 characters'),
  identifiers: z.array(z.string().max(400)).max(MAX_IDENTIFIERS).optional().describe('kind:value (email:…, phone:…): searched for after the purge, kept sealed until the request ends, then only as salted hashes'),
});

/**
 * The identifiers, each checked here so a bad one is named by its place
 * (`identifiers[2]`, or a form's line); the action reads them again. No
 * message repeats a value.
 */
export function checkedIdentifiers(given: readonly string[] | undefined, fieldOf: (index: number) => string = (i) => `identifiers[${i}]`): string[] {
  const list = given ?? [];
  list.forEach((text, i) => parseIdentifier(text, fieldOf(i)));
  return [...list];
}

/** Enqueues, from the API or the form: the tenant is checked for this person first, so one they may not see answers as an unknown one. */
export async function enqueueFor(ctx: WebContext, req: FastifyRequest, input: { tenant: string; profileId: string; receivedAt?: string | undefined; reference?: string | undefined; identifiers: string[] }) {
  const person = personOf(req);
  assertCanSee(req, input.tenant);
  return enqueueErasure(erasureDeps(ctx), input, personActor(person), person);
}

export function registerErasuresApi(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const deps = erasureDeps(ctx);

  r.post(
    '/api/v1/erasures',
    {
      schema: {
        tags: TAGS,
        summary: 'Enqueue an erasure request (idempotent per tenant and profile): 201 with its run, or 200 with the request already there',
        body: EnqueueBodySchema,
        response: { 200: EnqueuedSchema, 201: EnqueuedSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const out = await enqueueFor(ctx, req, {
        tenant: b.tenant,
        profileId: String(b.profile_id),
        receivedAt: b.received_at,
        reference: b.reference,
        identifiers: checkedIdentifiers(b.identifiers),
      });
      reply.code(out.created ? 201 : 200);
      return out;
    },
  );

  r.get(
    '/api/v1/erasures',
    {
      schema: {
        tags: TAGS,
        summary: 'Erasure requests of the tenants you may see, newest first',
        querystring: ErasuresQuerySchema,
        response: {
          200: z.object({ erasures: z.array(ErasureViewSchema), next_before: z.number().int().nullable().describe('pass as before for the next page; null on the last') }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => {
      const q = req.query;
      // One more than asked for: whether there is a next page, without counting.
      const rows = await listErasureViews(ctx.db, { tenant: emptyAsNone(q.tenant), status: emptyAsNone(q.status), before: q.before, limit: q.limit + 1 }, personOf(req), ctx.now());
      const page = rows.slice(0, q.limit);
      return { erasures: page, next_before: rows.length > q.limit ? page.at(-1)!.id : null };
    },
  );

  r.get(
    '/api/v1/erasures/status',
    {
      schema: {
        tags: TAGS,
        summary: 'Erasure requests by status, overdue and due within 7 days, and the oldest open one (warden purge status --format json)',
        querystring: z.object({ tenant: z.string().max(100).optional().describe('only this tenant; absent: every tenant you may see') }),
        response: { 200: ErasureStatusSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => erasureStatus(ctx.db, { tenant: emptyAsNone(req.query.tenant) }, personOf(req), ctx.now()),
  );

  r.get(
    '/api/v1/erasures/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One erasure request: its deadline, its trail, its last checks and its certificate',
        params: ErasureParams,
        response: { 200: ErasureDetailSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const detail = await erasureDetail(ctx.db, req.params.id, personOf(req), ctx.now());
      // The verification writes them (src/erasure/verify-erasure.ts); the ledger holds them as JSON.
      return { ...detail, checks: detail.checks as z.infer<typeof CheckSchema>[] };
    },
  );

  r.get(
    '/api/v1/erasures/:id/certificate',
    {
      schema: {
        tags: TAGS,
        summary: 'The certificate of erasure of a proven request (verified or not_found); 409 while it is not proven',
        params: ErasureParams,
        response: { 200: CertificateSchema, ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (req) => erasureCertificate(ctx.db, req.params.id, personOf(req)),
  );

  r.post(
    '/api/v1/erasures/:id/extend',
    {
      schema: {
        tags: TAGS,
        summary: `Extend an open request’s deadline once, by 1 or ${MAX_EXTENSION_MONTHS} further months, with the reason (GDPR Art. 12(3))`,
        params: ErasureParams,
        body: z.strictObject({ months: z.number().int(), reason: Reason }),
        response: { 200: ErasureViewSchema, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => extendErasure(deps, req.params.id, { months: req.body.months, reason: req.body.reason }, personActor(personOf(req)), personOf(req)),
  );

  r.post(
    '/api/v1/erasures/:id/retain',
    {
      schema: {
        tags: TAGS,
        summary: 'Keep a request’s data on purpose, for a recorded legal reason (a request not yet purged, or failed; compliance)',
        params: ErasureParams,
        body: z.strictObject({ reason: Reason }),
        response: { 200: ErasureViewSchema, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => retainErasureAction(deps, req.params.id, { reason: req.body.reason }, personActor(personOf(req)), personOf(req)),
  );

  r.post(
    '/api/v1/erasures/retry',
    {
      schema: {
        tags: TAGS,
        summary: 'Re-open failed requests, each with a new run: one that may not be retried refuses them all, and nothing changes',
        body: z.strictObject({ ids: z.array(z.number().int().min(1).max(2 ** 31 - 1)).min(1).max(500) }),
        response: { 200: z.object({ retried: z.array(z.object({ id: z.number().int(), run: z.string() })) }), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => ({ retried: await retryErasures(deps, [...new Set(req.body.ids)], personActor(personOf(req)), personOf(req)) }),
  );
}

/** An empty filter is no filter. */
export function emptyAsNone(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
