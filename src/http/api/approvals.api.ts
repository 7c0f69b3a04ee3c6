/**
 * The approvals API (`/api/v1/approvals…`): the filtered list (oldest request
 * first, 100 a page), one approval with its trail, and the decisions: approve
 * or reject one, approve many at once. The same actions as the pages and the
 * CLI (src/app/approvals.ts): a batch with one refused id changes nothing.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  approvalDetail,
  decideApprovals,
  listApprovalViews,
  APPROVALS_PAGE_SIZE,
  type ApprovalActionDeps,
  type DecisionOutcome,
} from '../../app/approvals.js';
import { APPROVAL_KINDS } from '../../approvals/kinds.js';
import { APPROVAL_STATUSES } from '../../db/database.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';
import { problemResponses } from './problem.schema.js';
import { PageNumber } from './runs.api.js';

const TAGS = ['approvals'];
const Instant = z.iso.datetime();

/** What the approval actions need, from the web app's context. */
export function approvalDeps(ctx: WebContext): ApprovalActionDeps {
  return { db: ctx.db, enqueue: (kind, payload, tenant) => ctx.enqueue(kind, payload, tenant), log: ctx.log, now: () => ctx.now() };
}

/**
 * The list's filters, page and API alike. Kind and state are checked by the
 * action (one message for every face); an empty value is no filter.
 */
export const ApprovalsQuerySchema = z.object({
  tenant: z.string().max(200).optional().describe('only this tenant; empty or absent: every tenant you may see'),
  kind: z.string().max(40).optional().describe(`one of ${APPROVAL_KINDS.join(', ')}; empty or absent: any`),
  state: z.string().max(40).optional().describe(`one of ${APPROVAL_STATUSES.join(', ')}; empty or absent: any`),
  page: PageNumber.default(1).describe(`from 1 to 100000, ${APPROVALS_PAGE_SIZE} a page`),
});

/** An approval id in a path. */
export const ApprovalParams = z.object({ id: z.coerce.number().int().min(1).max(999_999_999) });

const Comment = z.string().max(10_000);

export const ApprovalViewSchema = z.object({
  id: z.number().int(),
  tenant: z.string(),
  kind: z.string().describe(`${APPROVAL_KINDS.join(', ')}`),
  status: z.enum(APPROVAL_STATUSES),
  rule: z.string(),
  subject: z.object({ type: z.string(), id: z.string(), label: z.string() }),
  fingerprint: z.string().describe('the finding it was opened for (`review:<campaign>:<item>` for an access review’s)'),
  requested_at: Instant,
  expires_at: Instant,
  decided_by: z.string().nullable(),
  decided_at: Instant.nullable(),
  comment: z.string().nullable(),
  first_approved_by: z.string().nullable().describe('over the daily cap of removals, the first of the two admins needed'),
  executed_at: Instant.nullable(),
  verified_at: Instant.nullable(),
  ended_at: Instant.nullable(),
  impact: z.record(z.string(), z.unknown()).describe('what acting would break, measured when requested'),
  impact_summary: z.array(z.string()).describe('the impact in words, a sentence each'),
  requested_by: z.string().nullable().describe('who asked: the reviewer of an access review’s decision; null when an audit asked'),
  review: z
    .object({ campaign_id: z.number().int(), item_id: z.number().int() })
    .nullable()
    .describe('the access-review item it carries out; null for a finding’s approval'),
});

export const ApprovalDetailSchema = ApprovalViewSchema.extend({
  finding: z
    .object({
      title: z.string(),
      severity: z.string(),
      evidence: z.record(z.string(), z.unknown()),
      first_seen: Instant,
      last_seen: Instant,
      resolved_at: Instant.nullable(),
    })
    .nullable(),
  outcome: z.record(z.string(), z.unknown()).describe('remediation’s evidence: recheck, act, verification, failure'),
  trail: z.array(z.object({ at: Instant, actor: z.string(), event: z.string(), detail: z.record(z.string(), z.unknown()) })),
});

export const DecisionOutcomesSchema = z.object({
  outcomes: z.array(
    z.object({
      id: z.number().int(),
      outcome: z.enum(['approved', 'rejected', 'first_approval']).describe('first_approval: over the tenant’s daily cap, a second admin must approve too'),
      run: z.string().nullable().describe('the remediation run (GET /api/v1/runs/{run}); null when not enqueued now (reconcile enqueues it)'),
    }),
  ),
});

const outcomes = (list: DecisionOutcome[]) => ({ outcomes: list });

export function registerApprovalsApi(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const deps = approvalDeps(ctx);
  const decisions = { 200: DecisionOutcomesSchema, ...problemResponses(400, 401, 403, 404, 409) };

  r.get(
    '/api/v1/approvals',
    {
      schema: {
        tags: TAGS,
        summary: `Approvals of the tenants you may see, oldest request first, ${APPROVALS_PAGE_SIZE} a page`,
        querystring: ApprovalsQuerySchema,
        response: { 200: z.array(ApprovalViewSchema), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req) => listApprovalViews(ctx.db, { tenant: req.query.tenant, kind: req.query.kind, status: req.query.state, page: req.query.page }, personOf(req), ctx.now()),
  );

  r.get(
    '/api/v1/approvals/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One approval with its whole trail: the finding, the impact, the decision, what remediation found and did',
        params: ApprovalParams,
        response: { 200: ApprovalDetailSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req) => approvalDetail(ctx.db, req.params.id, personOf(req)),
  );

  r.post(
    '/api/v1/approvals/:id/approve',
    {
      schema: {
        tags: TAGS,
        summary: 'Approve one approval (an admin of its tenant, not about their own account); its remediation run is enqueued',
        params: ApprovalParams,
        body: z.strictObject({ comment: Comment.optional() }).nullish().describe('optional: a script may send no body'),
        response: decisions,
      },
    },
    async (req) => outcomes(await decideApprovals(deps, personOf(req), { ids: [req.params.id], decision: 'approved', comment: req.body?.comment, via: 'api' })),
  );

  r.post(
    '/api/v1/approvals/:id/reject',
    {
      schema: {
        tags: TAGS,
        summary: 'Reject one approval, saying why (an admin of its tenant)',
        params: ApprovalParams,
        body: z.strictObject({ comment: Comment.describe('why: required') }),
        response: decisions,
      },
    },
    async (req) => outcomes(await decideApprovals(deps, personOf(req), { ids: [req.params.id], decision: 'rejected', comment: req.body.comment, via: 'api' })),
  );

  r.post(
    '/api/v1/approvals/approve',
    {
      schema: {
        tags: TAGS,
        summary: 'Approve several approvals at once: one refused id refuses them all, and nothing changes',
        body: z.strictObject({ ids: z.array(z.number().int().min(1).max(999_999_999)).min(1).max(500), comment: Comment.optional() }),
        response: decisions,
      },
    },
    async (req) => outcomes(await decideApprovals(deps, personOf(req), { ids: req.body.ids, decision: 'approved', comment: req.body.comment, via: 'api' })),
  );
}
