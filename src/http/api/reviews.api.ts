/**
 * The access-reviews API (`/api/v1/reviews…`, docs/architecture.md "Access
 * reviews"): the campaigns a person may see, opening one (201; a tenant with
 * a campaign not closed answers 409), a campaign's status, its items (the
 * caller's own, the undecided ones), decisions and delegations in batches
 * (one refused item refuses the batch, nothing written), closing now, the
 * evidence pack's manifest and files, and the trail. The same actions as the
 * pages and `warden review` (src/app/reviews.ts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  closeReview,
  decideReview,
  delegateReview,
  listReviews,
  openReview,
  reviewItems,
  reviewPack,
  reviewStatus,
  reviewTrail,
  type ReviewActionDeps,
  type ReviewPack,
} from '../../app/reviews.js';
import { NO_RESPONSE_POLICIES, REVIEW_DECISIONS, REVIEW_STATUSES } from '../../db/database.js';
import { NotFoundError } from '../../db/errors.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';
import { problemResponses } from './problem.schema.js';

const TAGS = ['reviews'];
const Instant = z.iso.datetime();
const CalendarDate = z.string().describe('YYYY-MM-DD, in the tenant’s time zone');

/**
 * What the review actions need, from the web app's context: the ledger, the
 * environment and client settings opening gathers the platform with, and the
 * server's job runner for the `review-reminders` run that sends the emails
 * (none: the decision or campaign is committed, and the daily run sends them).
 */
export function reviewDeps(ctx: WebContext): ReviewActionDeps {
  const app = ctx.app.deps();
  return {
    db: ctx.db,
    env: app.env,
    allowPrivateNetworks: app.allowPrivateNetworks,
    ...(app.client === undefined ? {} : { client: app.client }),
    logger: ctx.log,
    log: ctx.log,
    enqueue: (kind, payload, tenant) => ctx.enqueue(kind, payload, tenant),
    now: () => ctx.now(),
  };
}

/** A campaign id in a path. */
export const ReviewParams = z.object({ id: z.coerce.number().int().min(1).max(999_999_999) });

/** A pack file in a path: a plain file name, never a path (the action's list of files says which exist). */
export const PackFileParams = ReviewParams.extend({
  file: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'is not a file name of the pack'),
});

const ReviewerProgressSchema = z.object({
  reviewer: z.string().nullable().describe('null: the items nobody could be assigned (a compliance officer delegates them)'),
  items: z.number().int(),
  decided: z.number().int().describe('decided, or settled by the no-response policy at closing'),
  undecided: z.number().int(),
  flagged_undecided: z.number().int(),
});

export const ReviewStatusSchema = z.object({
  id: z.number().int(),
  tenant: z.string(),
  status: z.enum(REVIEW_STATUSES),
  period: z.string().nullable().describe('2027-Q1 when the quarterly schedule opened it; null when opened by hand'),
  opened_at: Instant,
  opened_by: z.string(),
  due_on: CalendarDate,
  due_at: Instant.describe('the end of the due date where the tenant is'),
  closes_on: CalendarDate.describe('the due date plus the grace period: undecided items then take the no-response policy'),
  overdue: z.boolean(),
  no_response: z.enum(NO_RESPONSE_POLICIES).describe('what an undecided item becomes at closing'),
  items: z.number().int(),
  flagged: z.number().int(),
  decided: z.number().int(),
  undecided: z.number().int(),
  counts: z.record(z.string(), z.number()).describe('as at opening: accounts, admins, machine_users, live_tokens, items, flagged, unassigned'),
  snapshot_sha256: z.string().describe('SHA-256 of the frozen snapshot every decision is tied to'),
  reviewers: z.array(ReviewerProgressSchema),
  closed_at: Instant.nullable(),
  pack_sha256: z.string().nullable().describe('once closed: the evidence pack’s hash, recorded in the audit log'),
});

export const ReviewItemSchema = z.object({
  id: z.number().int(),
  account_id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  role: z.string().describe('the (account, role) pair under review; none: an account without a role'),
  machine: z.boolean(),
  flags: z.array(z.object({ rule: z.string(), severity: z.string(), title: z.string() })).describe('the open findings about the account, worst first'),
  risk: z.number().int().describe('higher is riskier: the order items are listed in'),
  reviewer: z.string().nullable(),
  decision: z.enum(REVIEW_DECISIONS).nullable(),
  new_role: z.string().nullable(),
  comment: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: Instant.nullable(),
  no_response: z.enum(NO_RESPONSE_POLICIES).nullable().describe('the policy applied at closing, when nobody decided it'),
  approval_id: z.number().int().nullable().describe('the approval a revoke or role change became (GET /api/v1/approvals/{id})'),
  drift: z.record(z.string(), z.unknown()).nullable().describe('what differed from the frozen snapshot when the approval was carried out'),
  lower_roles: z.array(z.string()).describe('the roles change_role may go to'),
  if_no_response: z.string().nullable().describe('the dry run: what the no-response policy will do to it at closing, while undecided'),
});

const TrailEventSchema = z.object({
  id: z.number().int(),
  at: Instant,
  actor: z.string(),
  event: z.string().describe('opened, delegated, decided, approval_requested, reminded, escalated, closing, no_response, pack, closed, emailed'),
  item_id: z.number().int().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

const PackSchema = z.object({
  campaign: z.number().int(),
  tenant: z.string(),
  pack_sha256: z.string().describe('SHA-256 of the lines "<sha256>  <name>\\n" of the files (manifest.json left out), sorted by name'),
  files: z.array(z.object({ name: z.string(), sha256: z.string(), bytes: z.number().int(), href: z.string().describe('where to download it') })),
  manifest: z.record(z.string(), z.unknown()).describe('manifest.json as stored'),
});

const Email = z.string().max(320);
const ItemId = z.number().int().min(1).max(9_999_999_999);

const DecisionsBodySchema = z.strictObject({
  decisions: z
    .array(
      z.strictObject({
        item: ItemId,
        decision: z.string().max(40).describe(`${REVIEW_DECISIONS.join(', ')}`),
        new_role: z.string().max(40).nullish().describe('change_role: a role lower than the item’s'),
        comment: z.string().max(10_000).nullish().describe('why; required to keep a flagged item'),
      }),
    )
    .max(500),
});

const DelegationsBodySchema = z.strictObject({
  items: z.array(ItemId).max(500).optional().describe('the items to hand over'),
  all: z.boolean().optional().describe('instead of items: the whole undecided share (yours, or from’s)'),
  from: Email.optional().describe('with all, whose share (a compliance officer or admin of the tenant hands over anyone’s); absent: yours'),
  to: Email.describe('the person who reviews them from now on'),
});

const Bool = z.enum(['true', 'false']).optional();

/** The pack's manifest and files as the API lists them (the bytes are each file's own route). */
export function packListing(pack: ReviewPack, href: (name: string) => string) {
  const manifest = pack.files.find((f) => f.name === 'manifest.json');
  return {
    campaign: pack.campaign,
    tenant: pack.tenant,
    pack_sha256: pack.pack_sha256,
    files: pack.files.map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.content.length, href: href(f.name) })),
    manifest: manifest === undefined ? {} : (JSON.parse(manifest.content.toString('utf8')) as Record<string, unknown>),
  };
}

const CONTENT_TYPES: Readonly<Record<string, string>> = { json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8' };

/**
 * Sends one file of a pack as a download, its bytes exactly as stored (so
 * its SHA-256 is the manifest's), under its own name so `sha256sum` lines
 * match; a name the pack does not hold answers 404.
 */
export function sendPackFile(reply: FastifyReply, pack: ReviewPack, name: string): FastifyReply {
  const file = pack.files.find((f) => f.name === name);
  if (file === undefined) throw new NotFoundError('review_pack_file', name);
  const type = CONTENT_TYPES[name.split('.').at(-1) ?? ''] ?? 'application/octet-stream';
  return reply
    .type(type)
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'private, no-store')
    .send(file.content);
}

export function packFileHref(id: number, name: string, api: boolean): string {
  return `${api ? '/api/v1' : ''}/reviews/${id}/pack/${encodeURIComponent(name)}`;
}

export function registerReviewsApi(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/reviews',
    {
      schema: {
        tags: TAGS,
        summary: 'Access-review campaigns of the tenants you may see, newest first, with progress per reviewer',
        querystring: z.object({
          tenant: z.string().max(100).optional().describe('only this tenant'),
          status: z.enum(REVIEW_STATUSES).optional(),
        }),
        response: { 200: z.array(ReviewStatusSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (req) =>
      listReviews(ctx.db, { person: personOf(req) }, { ...(req.query.tenant === undefined ? {} : { tenant: req.query.tenant }), ...(req.query.status === undefined ? {} : { status: req.query.status }) }, ctx.now()),
  );

  r.post(
    '/api/v1/reviews',
    {
      schema: {
        tags: TAGS,
        summary: 'Open a campaign for a tenant now (a compliance officer or admin of it): the snapshot is frozen and the items assigned; 409 while one is not closed',
        body: z.strictObject({
          tenant: z.string().min(1).max(100),
          due: z.string().max(40).optional().describe('YYYY-MM-DD in the tenant’s time zone, after today and at most 90 days ahead; absent: the tenant’s review_due_days from today'),
        }),
        response: { 201: ReviewStatusSchema, ...problemResponses(400, 401, 403, 404, 409, 502) },
      },
    },
    async (req, reply) => {
      const status = await openReview(reviewDeps(ctx), { person: personOf(req) }, { tenant: req.body.tenant, due: req.body.due });
      reply.code(201);
      return status;
    },
  );

  r.get(
    '/api/v1/reviews/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One campaign: counts, progress per reviewer, due date and whether it is overdue, the snapshot’s hash',
        params: ReviewParams,
        response: { 200: ReviewStatusSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => reviewStatus(ctx.db, { person: personOf(req) }, req.params.id, ctx.now()),
  );

  r.get(
    '/api/v1/reviews/:id/items',
    {
      schema: {
        tags: TAGS,
        summary: 'A campaign’s items, riskiest first, each with its flags, decision and what no response would do to it',
        params: ReviewParams,
        querystring: z.object({
          mine: Bool.describe('true: only the items you review (your queue)'),
          undecided: Bool.describe('true: only the items nobody has decided yet'),
        }),
        response: { 200: z.array(ReviewItemSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const person = personOf(req);
      return reviewItems(ctx.db, { person }, req.params.id, { ...(req.query.mine === 'true' ? { reviewer: person.email } : {}), undecided: req.query.undecided === 'true' });
    },
  );

  r.post(
    '/api/v1/reviews/:id/decisions',
    {
      schema: {
        tags: TAGS,
        summary: 'Decide items as their reviewer (keep, revoke, change_role): one refused item refuses the batch; a revoke or change becomes an approval',
        params: ReviewParams,
        body: DecisionsBodySchema,
        response: {
          200: z.object({
            decided: z.array(z.object({ id: z.number().int(), decision: z.enum(REVIEW_DECISIONS), new_role: z.string().nullable() })),
            approvals: z.number().int().describe('approvals opened for the revokes and role changes'),
          }),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => decideReview(reviewDeps(ctx), personOf(req), req.params.id, { decisions: req.body.decisions, via: 'api' }),
  );

  r.post(
    '/api/v1/reviews/:id/delegations',
    {
      schema: {
        tags: TAGS,
        summary: 'Hand items, or a whole undecided share, to another person who may see the tenant (never the item’s own account)',
        params: ReviewParams,
        body: DelegationsBodySchema,
        response: { 200: z.object({ delegated: z.array(z.number().int()), to: z.string() }), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const b = req.body;
      return delegateReview(reviewDeps(ctx), personOf(req), req.params.id, {
        ...(b.items === undefined ? {} : { items: b.items }),
        ...(b.all === undefined ? {} : { all: b.all }),
        ...(b.from === undefined ? {} : { from: b.from }),
        to: b.to,
      });
    },
  );

  r.post(
    '/api/v1/reviews/:id/close',
    {
      schema: {
        tags: TAGS,
        summary: 'Close a campaign now (a compliance officer or admin): undecided items take its no-response policy, and the evidence pack is made',
        params: ReviewParams,
        body: z.strictObject({}).nullish().describe('none'),
        response: { 200: ReviewStatusSchema, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => closeReview(reviewDeps(ctx), { person: personOf(req) }, req.params.id),
  );

  r.get(
    '/api/v1/reviews/:id/pack',
    {
      schema: {
        tags: TAGS,
        summary: 'A closed campaign’s evidence pack: its files with their SHA-256, the pack hash and the manifest; 409 until it is closed',
        params: ReviewParams,
        response: { 200: PackSchema, ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (req) => packListing(await reviewPack(ctx.db, { person: personOf(req) }, req.params.id), (name) => packFileHref(req.params.id, name, true)),
  );

  r.get(
    '/api/v1/reviews/:id/pack/:file',
    {
      schema: {
        tags: TAGS,
        summary: 'One file of the evidence pack, as stored (its SHA-256 is the manifest’s), as an attachment',
        params: PackFileParams,
        response: {
          200: {
            description: 'The file’s bytes: JSON (campaign.json, items.json, snapshot.json, manifest.json) or CSV (items.csv)',
            content: { 'application/json': { schema: z.unknown() }, 'text/csv': { schema: z.string() } },
          },
          ...problemResponses(400, 401, 404, 409),
        },
      },
    },
    async (req, reply) => sendPackFile(reply, await reviewPack(ctx.db, { person: personOf(req) }, req.params.id), req.params.file),
  );

  r.get(
    '/api/v1/reviews/:id/trail',
    {
      schema: {
        tags: TAGS,
        summary: 'A campaign’s trail, oldest first: opened, delegations, decisions, reminders, escalations, closing',
        params: ReviewParams,
        response: { 200: z.array(TrailEventSchema), ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => reviewTrail(ctx.db, { person: personOf(req) }, req.params.id),
  );
}
