/**
 * The approvals pages: `/approvals` (a filter form, the list oldest request
 * first, and for admins checkboxes to approve several at once),
 * `/approvals/:id` (the finding's evidence, the impact in words and as a
 * table, remediation's outcome, the trail, and the approve and reject forms
 * while it is pending) and the two forms' routes. The read models and the
 * decisions are src/app/approvals.ts's, as the API and the CLI use them: this
 * file only renders and redirects.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { approvalDetail, decideApprovals, listApprovalViews, parseApprovalIds, APPROVALS_PAGE_SIZE, type ApprovalDetail, type ApprovalView } from '../../app/approvals.js';
import { tenantNames } from '../../app/findings-view.js';
import { APPROVAL_KINDS, affectedEmail, kindText } from '../../approvals/kinds.js';
import { APPROVAL_STATUSES } from '../../db/database.js';
import { askedBy, askedInReview } from '../../reviews/review-approvals.js';
import { hasRole, visibleTenants } from '../access.js';
import { approvalDeps, ApprovalParams, ApprovalsQuerySchema } from '../api/approvals.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { personOf } from '../person.js';
import { csrfField, renderPage } from './layout.js';

/** `2026-11-29 06:00 UTC`, in a `time` element carrying the exact instant. */
function whenIso(iso: string | null): SafeHtml {
  if (iso === null) return html`<span class="muted">not yet</span>`;
  return html`<time datetime="${iso}">${`${iso.slice(0, 16).replace('T', ' ')} UTC`}</time>`;
}

function statusCell(status: string): SafeHtml {
  return html`<span class="status status-${status}">${status}</span>`;
}

export function approvalPath(id: number): string {
  return `/approvals/${id}`;
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The impact in words, then as a table: the live tokens a removal deletes
 * (with the integration each serves), or a token's last uses.
 */
export function impactSection(a: Pick<ApprovalView, 'impact' | 'impact_summary'>): SafeHtml {
  const words = a.impact_summary.length === 0 ? html`<p class="muted">No impact was recorded.</p>` : html`<ul id="impact-summary">${a.impact_summary.map((s) => html`<li>${s.replace(/^• /, '')}</li>`)}</ul>`;
  const tokens = Array.isArray(a.impact['tokens_deleted']) ? (a.impact['tokens_deleted'] as Record<string, unknown>[]) : undefined;
  const uses = Array.isArray(a.impact['last_uses']) ? (a.impact['last_uses'] as Record<string, unknown>[]) : undefined;
  let table: SafeHtml | string = '';
  if (tokens !== undefined && tokens.length > 0) {
    table = html`<table id="impact-tokens"><caption>Live API tokens deleted with the account</caption>
<thead><tr><th scope="col">Token</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col">Integration</th></tr></thead>
<tbody>${tokens.map(
      (t) => html`<tr><th scope="row">${text(t['name']) || text(t['id'])} <span class="muted">(${text(t['id'])})</span></th><td>${Array.isArray(t['scopes']) ? (t['scopes'] as unknown[]).map(text).join(', ') : ''}</td><td>${t['last_used_at'] == null ? html`<span class="muted">never</span>` : whenIso(text(t['last_used_at']))}</td><td>${text(t['integration']) || html`<span class="muted">none seen</span>`}</td></tr>`,
    )}</tbody></table>`;
  } else if (uses !== undefined && uses.length > 0) {
    table = html`<table id="impact-uses"><caption>The token’s last uses, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Address</th><th scope="col">Agent</th></tr></thead>
<tbody>${uses.map((u) => html`<tr><td>${whenIso(text(u['used_at']))}</td><td>${text(u['ip_address']) || html`<span class="muted">unknown</span>`}</td><td>${text(u['user_agent']) || html`<span class="muted">none</span>`}</td></tr>`)}</tbody></table>`;
  }
  return html`${words}${table}`;
}

/** Facts every approval page and the link page show. */
export function approvalFacts(a: ApprovalView): SafeHtml {
  return html`<dl class="facts">
<dt>Tenant</dt><dd>${a.tenant}</dd>
<dt>Action</dt><dd>${kindText(a.kind)}</dd>
<dt>Subject</dt><dd>${a.subject.label} <span class="muted">(${a.subject.type} ${a.subject.id})</span></dd>
<dt>Rule</dt><dd>${a.rule}</dd>
${a.review === null ? '' : html`<dt>Origin</dt><dd id="approval-origin">${askedInReview(a.requested_by, a.review)}</dd>`}
<dt>Status</dt><dd id="approval-status">${statusCell(a.status)}</dd>
<dt>Requested</dt><dd>${whenIso(a.requested_at)}</dd>
<dt>Expires</dt><dd>${whenIso(a.expires_at)}</dd>
${a.first_approved_by === null ? '' : html`<dt>First approval</dt><dd>${a.first_approved_by} <span class="muted">(over the daily cap: a second admin must approve)</span></dd>`}
<dt>Decided</dt><dd>${a.decided_by === null ? html`<span class="muted">not yet</span>` : html`${a.decided_by}, ${whenIso(a.decided_at)}`}</dd>
${a.comment === null ? '' : html`<dt>Comment</dt><dd>${a.comment}</dd>`}
<dt>Executed</dt><dd>${whenIso(a.executed_at)}</dd>
<dt>Verified</dt><dd>${whenIso(a.verified_at)}</dd>
</dl>`;
}

function send(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page);
}

function option(value: string, label: string, current: string | undefined): SafeHtml {
  return html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
}

type ListQuery = z.infer<typeof ListQuerySchema>;

function queryOf(q: Pick<ListQuery, 'tenant' | 'kind' | 'state'>, page: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ tenant: q.tenant, kind: q.kind, state: q.state })) if (v !== undefined && v !== '') params.set(k, v);
  if (page > 1) params.set('page', String(page));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function filterForm(visible: readonly string[], q: ListQuery): SafeHtml {
  return html`<form method="get" action="/approvals" class="filters" aria-label="Filter approvals">
<div><label for="f-tenant">Tenant</label><select id="f-tenant" name="tenant">${option('', 'All tenants', q.tenant)}${visible.map((t) => option(t, t, q.tenant))}</select></div>
<div><label for="f-kind">Kind</label><select id="f-kind" name="kind">${option('', 'Any kind', q.kind)}${APPROVAL_KINDS.map((k) => option(k, kindText(k), q.kind))}</select></div>
<div><label for="f-state">State</label><select id="f-state" name="state">${option('', 'Any state', q.state)}${APPROVAL_STATUSES.map((s) => option(s, s, q.state))}</select></div>
<div><button type="submit">Filter</button></div>
</form>`;
}

function listBody(req: FastifyRequest, reply: FastifyReply, visible: readonly string[], q: ListQuery, items: readonly ApprovalView[]): SafeHtml {
  const admin = hasRole(personOf(req), ['admin']);
  const selectable = admin && items.some((a) => a.status === 'pending');
  const rows =
    items.length === 0
      ? html`<tr><td colspan="${selectable ? 9 : 8}">No approvals ${q.page > 1 ? 'on this page' : 'match this filter'}.</td></tr>`
      : items.map(
          (a) => html`<tr>
${selectable ? html`<td>${a.status === 'pending' ? html`<input type="checkbox" name="ids" value="${a.id}" aria-label="Select approval ${a.id}">` : ''}</td>` : ''}
<td class="num"><a href="${approvalPath(a.id)}">#${a.id}</a></td>
<td>${a.tenant}</td>
<td>${kindText(a.kind)}</td>
<td>${a.rule}</td>
<td>${a.subject.label}</td>
<td>${statusCell(a.status)}</td>
<td>${whenIso(a.requested_at)}</td>
<td>${whenIso(a.expires_at)}</td>
</tr>`,
        );
  const table = html`<table id="approvals">
<caption>Approvals, oldest request first: page ${q.page}</caption>
<thead><tr>${selectable ? html`<th scope="col">Select</th>` : ''}<th scope="col" class="num">Id</th><th scope="col">Tenant</th><th scope="col">Kind</th><th scope="col">Rule</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col">Requested</th><th scope="col">Expires</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
  const prev = q.page > 1 ? html`<a rel="prev" href="/approvals${queryOf(q, q.page - 1)}">Previous page</a>` : '';
  const next = items.length === APPROVALS_PAGE_SIZE ? html`<a rel="next" href="/approvals${queryOf(q, q.page + 1)}">Next page</a>` : '';
  return html`${filterForm(visible, q)}
${selectable
  ? html`<form method="post" action="/approvals/bulk-approve" class="stacked" aria-label="Approve selected approvals">
${csrfField(req, reply)}
${table}
<label for="bulk-comment">Comment (optional)</label>
<textarea id="bulk-comment" name="comment" rows="2" cols="60" maxlength="2000"></textarea>
<p class="muted">Every selected approval is checked first: if any may not be approved by you now, none is.</p>
<div><button type="submit">Approve selected</button></div>
</form>`
  : table}
${prev !== '' || next !== '' ? html`<nav class="pages" aria-label="Pages of approvals">${prev}${next}</nav>` : ''}`;
}

const OUTCOME_STEPS: readonly [string, string][] = [
  ['recheck', 'Re-check of the live state'],
  ['act', 'Act'],
  ['verification', 'Verification'],
  ['failure', 'Failure'],
];

function outcomeSection(d: ApprovalDetail): SafeHtml {
  const steps = OUTCOME_STEPS.filter(([k]) => d.outcome[k] !== undefined && d.outcome[k] !== null);
  if (steps.length === 0) {
    return html`<p class="muted" id="outcome-none">${d.status === 'approved' ? 'Approved: remediation re-checks, acts and verifies shortly.' : 'Nothing has been carried out.'}</p>`;
  }
  const row = (k: string, label: string) => {
    const step = d.outcome[k] as Record<string, unknown>;
    const at = step['checked_at'] ?? step['at'];
    const { checked_at: _c, at: _a, impact_now: _i, ...rest } = step;
    return html`<tr><th scope="row">${label}</th><td>${typeof at === 'string' ? whenIso(at) : ''}</td><td>${Object.entries(rest).map(([f, v], i) => html`${i > 0 ? html`<br>` : ''}<strong>${f.replace(/_/g, ' ')}</strong>: ${text(v)}`)}</td></tr>`;
  };
  return html`<table id="outcome"><caption>What remediation found and did</caption>
<thead><tr><th scope="col">Step</th><th scope="col">When</th><th scope="col">Result</th></tr></thead>
<tbody>${steps.map(([k, label]) => row(k, label))}</tbody></table>`;
}

function decisionForms(req: FastifyRequest, reply: FastifyReply, d: ApprovalDetail): SafeHtml {
  const person = personOf(req);
  if (d.status !== 'pending') return html``;
  if (!hasRole(person, ['admin'])) return html`<p class="muted">Deciding an approval needs the admin role for its tenant.</p>`;
  if (affectedEmail(d.impact) === person.email.toLowerCase()) return html`<p class="notice">This approval is about your own account: another admin must decide it.</p>`;
  if (askedBy(d.requested_by, person.email)) return html`<p class="notice">You asked for this in an access review: another admin must decide it.</p>`;
  const action = `${approvalPath(d.id)}/decision`;
  return html`<section aria-labelledby="decide-h" class="card">
<h2 id="decide-h">Decide</h2>
<div class="grid">
<form method="post" action="${action}" class="stacked" aria-label="Approve">
${csrfField(req, reply)}<input type="hidden" name="decision" value="approved">
<label for="approve-comment">Comment (optional)</label>
<textarea id="approve-comment" name="comment" rows="3" cols="40" maxlength="2000"></textarea>
<div><button type="submit">Approve</button></div>
</form>
<form method="post" action="${action}" class="stacked" aria-label="Reject">
${csrfField(req, reply)}<input type="hidden" name="decision" value="rejected">
<label for="reject-comment">Why reject (required)</label>
<textarea id="reject-comment" name="comment" rows="3" cols="40" maxlength="2000" required></textarea>
<div><button type="submit" class="secondary">Reject</button></div>
</form>
</div>
</section>`;
}

function trailDetail(detail: Record<string, unknown>): SafeHtml | string {
  const entries = Object.entries(detail);
  if (entries.length === 0) return '';
  return html`<code>${JSON.stringify(detail)}</code>`;
}

function detailBody(req: FastifyRequest, reply: FastifyReply, d: ApprovalDetail): SafeHtml {
  const f = d.finding;
  const evidence = f === null ? [] : Object.entries(f.evidence);
  return html`<p><a href="/approvals?tenant=${encodeURIComponent(d.tenant)}">All approvals of ${d.tenant}</a></p>
${approvalFacts(d)}
${decisionForms(req, reply, d)}
<h2 id="impact-h">Impact</h2>
${impactSection(d)}
<h2 id="outcome-h">Remediation</h2>
${outcomeSection(d)}
<h2 id="finding-h">${d.review === null ? 'The finding' : 'The access review'}</h2>
${d.review !== null
  ? html`<p>A reviewer’s decision on item ${d.review.item_id}: there is no finding. The re-check compares the account with the campaign’s frozen snapshot and records what drifted.</p>`
  : f === null
  ? html`<p class="muted">The finding is no longer in the ledger.</p>`
  : html`<p><a href="/findings/${encodeURIComponent(d.tenant)}/${encodeURIComponent(d.fingerprint)}">${f.title}</a> <span class="sev-${f.severity}">${f.severity}</span>; first seen ${whenIso(f.first_seen)}, last seen ${whenIso(f.last_seen)}${f.resolved_at === null ? '' : html`, resolved ${whenIso(f.resolved_at)}`}.</p>
${evidence.length === 0
  ? html`<p>The rule recorded no evidence.</p>`
  : html`<table id="evidence"><caption>What the rule saw</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
<tbody>${evidence.map(([k, v]) => html`<tr><th scope="row">${k}</th><td><code>${text(v)}</code></td></tr>`)}</tbody></table>`}`}
<h2 id="trail-h">History</h2>
<table id="trail"><caption>Every event of this approval, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Who</th><th scope="col">Details</th></tr></thead>
<tbody>${d.trail.map((e) => html`<tr><td>${whenIso(e.at)}</td><td>${e.event.replace(/_/g, ' ')}</td><td>${e.actor}</td><td>${trailDetail(e.detail)}</td></tr>`)}</tbody>
</table>`;
}

const ListQuerySchema = ApprovalsQuerySchema.extend({
  approved: z.coerce.number().int().min(0).max(500).optional(),
  first: z.coerce.number().int().min(0).max(500).optional(),
});

const DONE: Readonly<Record<string, string>> = {
  approved: 'Approved: remediation re-checks the live state, acts, then verifies. This page shows each step.',
  rejected: 'Rejected: nothing will be done.',
  first_approval: 'Your approval is recorded. The tenant is over its daily cap of removals: a second admin must approve too.',
};

const DecisionFormSchema = z.object({
  _csrf: z.string().optional(),
  decision: z.enum(['approved', 'rejected']),
  comment: z.string().max(10_000).optional(),
});

const BulkFormSchema = z.object({
  _csrf: z.string().optional(),
  ids: z.union([z.string().max(20), z.array(z.string().max(20)).max(500)]).optional(),
  comment: z.string().max(10_000).optional(),
});

function bulkNotice(q: ListQuery): string | undefined {
  if (q.approved === undefined && q.first === undefined) return undefined;
  const parts = [`${q.approved ?? 0} approved: remediation runs for each`];
  if ((q.first ?? 0) > 0) parts.push(`${q.first} recorded as a first approval (over the daily cap: a second admin must approve)`);
  return `${parts.join('; ')}.`;
}

export function registerApprovalsPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const deps = approvalDeps(ctx);

  r.get('/approvals', { schema: { querystring: ListQuerySchema } }, async (req, reply) => {
    const person = personOf(req);
    const items = await listApprovalViews(ctx.db, { tenant: req.query.tenant, kind: req.query.kind, status: req.query.state, page: req.query.page }, person, ctx.now());
    const visible = visibleTenants(person, await tenantNames(ctx.db));
    return send(reply, renderPage(ctx, req, reply, { title: 'Approvals', body: listBody(req, reply, visible, req.query, items), notice: bulkNotice(req.query) }));
  });

  r.get('/approvals/:id', { schema: { params: ApprovalParams, querystring: z.object({ done: z.enum(['approved', 'rejected', 'first_approval']).optional() }) } }, async (req, reply) => {
    const detail = await approvalDetail(ctx.db, req.params.id, personOf(req));
    reply.header('cache-control', 'no-store');
    const notice = req.query.done === undefined ? undefined : DONE[req.query.done];
    return send(reply, renderPage(ctx, req, reply, { title: `Approval #${detail.id}: ${kindText(detail.kind).toLowerCase()} ${detail.subject.label}`, body: detailBody(req, reply, detail), notice }));
  });

  r.post('/approvals/:id/decision', { schema: { params: ApprovalParams, body: DecisionFormSchema } }, async (req, reply) => {
    const [outcome] = await decideApprovals(deps, personOf(req), { ids: [req.params.id], decision: req.body.decision, comment: req.body.comment, via: 'web' });
    return reply.redirect(`${approvalPath(req.params.id)}?done=${outcome!.outcome}`, 303);
  });

  r.post('/approvals/bulk-approve', { schema: { body: BulkFormSchema } }, async (req, reply) => {
    const given = req.body.ids === undefined ? [] : Array.isArray(req.body.ids) ? req.body.ids : [req.body.ids];
    const outcomes = await decideApprovals(deps, personOf(req), { ids: parseApprovalIds(given), decision: 'approved', comment: req.body.comment, via: 'web' });
    const approved = outcomes.filter((o) => o.outcome === 'approved').length;
    return reply.redirect(`/approvals?approved=${approved}&first=${outcomes.length - approved}`, 303);
  });
}
