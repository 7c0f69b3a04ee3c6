/**
 * The access-review pages (docs/architecture.md "Access reviews"):
 *
 * - `/reviews`: the campaigns the person may see (tenant, status, due date,
 *   overdue, progress per reviewer, their own queue), a filter, and for
 *   compliance officers and admins the form that opens a campaign;
 * - `/reviews/:id`: one campaign (counts, the snapshot's SHA-256, progress per
 *   reviewer, every item riskiest first with its flags, reviewer, decision and
 *   approval; the dry run of the no-response policy on each undecided item;
 *   the trail), "Close now" and reassigning a share for officers, and once
 *   closed the evidence pack's files with their SHA-256, each downloadable
 *   (`/reviews/:id/pack/:file`);
 * - `/reviews/:id/queue`: the signed-in reviewer's undecided items, flagged
 *   first, each with keep / revoke / change role and a comment (required to
 *   keep a flagged item), and delegate; bulk keep of selected unflagged items;
 *   handing over the whole share.
 *
 * Keyboard: the page's CSP refuses inline scripts, so there are no j/k keys;
 * everything is a real form in reading order. The first item's comment has
 * the focus when the queue opens (after each decision, the next item's), Tab
 * goes comment → Keep → Revoke → role → Change role → delegate, and Enter
 * presses the focused button. Access keys (the browser's modifier, e.g.
 * Alt+Shift in Firefox, Alt in Chrome): I the first item, B bulk keep,
 * H hand over the share.
 *
 * The read models and actions are src/app/reviews.ts's, as the API and
 * `warden review` use them: this file only renders and redirects. A refused
 * form shows the page it came from again, with the action's message and its
 * status (never a 500).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantNames } from '../../app/findings-view.js';
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
  type ReviewItemView,
  type ReviewStatus,
} from '../../app/reviews.js';
import { REVIEW_STATUSES, type Person } from '../../db/database.js';
import { InputError } from '../../errors.js';
import { hasRole, visibleTenants } from '../access.js';
import { packFileHref, packListing, PackFileParams, reviewDeps, ReviewParams, sendPackFile } from '../api/reviews.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { personOf } from '../person.js';
import { problemOf, type Problem } from '../problem.js';
import { formatInstant } from './format.js';
import { csrfField, renderPage } from './layout.js';

export function reviewPath(id: number): string {
  return `/reviews/${id}`;
}

function send(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page);
}

/** An instant as people read it, in a `time` element carrying the exact one. */
function when(iso: string | null, none = 'not yet'): SafeHtml {
  if (iso === null) return html`<span class="muted">${none}</span>`;
  return html`<time datetime="${iso}">${formatInstant(iso)}</time>`;
}

function statusBadge(s: Pick<ReviewStatus, 'status' | 'overdue'>): SafeHtml {
  return html`<span class="status status-${s.status}">${s.status}</span>${s.overdue ? html` <strong class="overdue">overdue</strong>` : ''}`;
}

function option(value: string, label: string, current: string | undefined): SafeHtml {
  return html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
}

const percent = (part: number, whole: number) => (whole === 0 ? 100 : Math.floor((part * 100) / whole));

/** Compliance officers and admins open and close campaigns (the action checks the tenant again). */
function isOfficer(person: Person): boolean {
  return hasRole(person, ['compliance', 'admin']);
}

/** An account as a reviewer knows it: name, else email, else the platform's id. */
function accountLabel(i: Pick<ReviewItemView, 'name' | 'email' | 'account_id'>): string {
  return i.name ?? i.email ?? i.account_id;
}

function accountCell(i: ReviewItemView): SafeHtml {
  return html`${accountLabel(i)}${i.email !== null && i.name !== null ? html` <span class="muted">${i.email}</span>` : ''}${i.machine ? html` <span class="tag">machine</span>` : ''}`;
}

function flagsList(i: Pick<ReviewItemView, 'flags'>): SafeHtml {
  if (i.flags.length === 0) return html`<span class="muted">none</span>`;
  return html`<ul class="flags">${i.flags.map((f) => html`<li><span class="sev-${f.severity}">${f.rule}</span> ${f.title}</li>`)}</ul>`;
}

function decisionText(i: ReviewItemView): SafeHtml {
  if (i.decision === 'keep') return html`<strong>keep</strong>`;
  if (i.decision === 'revoke') return html`<strong>revoke</strong>`;
  if (i.decision === 'change_role') return html`<strong>change role</strong> to ${i.new_role ?? ''}`;
  if (i.no_response !== null) return html`<strong>no response</strong>: ${i.no_response}`;
  return html`<span class="muted">undecided</span>`;
}

function decisionCell(i: ReviewItemView): SafeHtml {
  return html`${decisionText(i)}${i.decided_by === null ? '' : html`<br><span class="muted">${i.decided_by}, ${when(i.decided_at)}</span>`}${i.comment === null ? '' : html`<br>“${i.comment}”`}`;
}

function approvalCell(i: ReviewItemView, person: Person): SafeHtml | string {
  if (i.approval_id === null) return '';
  // Approvals are compliance's and admins' pages (src/http/access.ts): others see the number.
  return hasRole(person, ['compliance', 'admin']) ? html`<a href="/approvals/${i.approval_id}">#${i.approval_id}</a>` : `#${i.approval_id}`;
}

function reviewerName(reviewer: string | null): SafeHtml {
  return reviewer === null ? html`<span class="muted">nobody yet (unassigned)</span>` : html`${reviewer}`;
}

function errorLine(error: Problem | undefined): SafeHtml | string {
  return error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${error.detail}</p>`;
}

/** Runs a form's action; a refusal (any 4xx) shows the form's page again with its message and status, never a 500. */
async function orShowAgain(reply: FastifyReply, act: () => Promise<FastifyReply>, again: (error: Problem) => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await act();
  } catch (err) {
    const p = problemOf(err);
    if (p === undefined || p.status === 401) throw err;
    reply.code(p.status);
    return again(p);
  }
}

// The list

const ListQuerySchema = z.object({
  tenant: z.string().max(100).optional(),
  status: z.string().max(40).optional(),
});
type ListQuery = z.infer<typeof ListQuerySchema>;

const emptyAsNone = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

function parseStatusFilter(given: string | undefined): ReviewStatus['status'] | undefined {
  const s = emptyAsNone(given);
  if (s === undefined) return undefined;
  if (!(REVIEW_STATUSES as readonly string[]).includes(s)) throw new InputError('status', `must be one of ${REVIEW_STATUSES.join(', ')}`);
  return s as ReviewStatus['status'];
}

function progressList(s: ReviewStatus): SafeHtml {
  if (s.reviewers.length === 0) return html`<span class="muted">no items</span>`;
  return html`<ul class="progress">${s.reviewers.map((r) => html`<li>${reviewerName(r.reviewer)}: ${r.decided} of ${r.items}${r.flagged_undecided > 0 ? html` <span class="muted">(${r.flagged_undecided} flagged left)</span>` : ''}</li>`)}</ul>`;
}

function myShare(s: ReviewStatus, person: Person) {
  return s.reviewers.find((r) => r.reviewer === person.email.toLowerCase());
}

function queueLink(s: ReviewStatus, person: Person): SafeHtml | string {
  const mine = myShare(s, person);
  if (mine === undefined || s.status !== 'open') return '';
  return mine.undecided === 0 ? html`<span class="muted">all ${mine.items} decided</span>` : html`<a href="${reviewPath(s.id)}/queue">Your queue (${mine.undecided})</a>`;
}

interface OpenFormValues {
  tenant?: string | undefined;
  due?: string | undefined;
}

function openForm(req: FastifyRequest, reply: FastifyReply, visible: readonly string[], values: OpenFormValues, now: Date): SafeHtml {
  if (!isOfficer(personOf(req))) return html``;
  if (visible.length === 0) return html`<p class="muted">There is no tenant you may open a campaign for.</p>`;
  const tomorrow = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  return html`<section aria-labelledby="open-h" class="card">
<h2 id="open-h">Open a campaign</h2>
<form method="post" action="/reviews" class="stacked" aria-labelledby="open-h">
${csrfField(req, reply)}
<label for="o-tenant">Tenant</label>
<select id="o-tenant" name="tenant" required>${visible.map((t) => option(t, t, values.tenant ?? visible[0]))}</select>
<label for="o-due">Due date (optional)</label>
<input id="o-due" name="due" type="date" min="${tomorrow}" value="${values.due ?? ''}" aria-describedby="o-due-hint">
<p class="muted" id="o-due-hint">In the tenant’s time zone, at most 90 days ahead; empty: the tenant’s default (14 days unless set). Opening freezes a snapshot of every account, role, last login and live token now, flags each item with Warden’s findings, assigns the reviewers and emails them. One campaign per tenant at a time.</p>
<div><button type="submit">Open campaign</button></div>
</form>
</section>`;
}

function filterForm(visible: readonly string[], q: ListQuery): SafeHtml {
  return html`<form method="get" action="/reviews" class="filters" aria-label="Filter campaigns">
<div><label for="f-tenant">Tenant</label><select id="f-tenant" name="tenant">${option('', 'All tenants', q.tenant)}${visible.map((t) => option(t, t, q.tenant))}</select></div>
<div><label for="f-status">Status</label><select id="f-status" name="status">${option('', 'Any status', q.status)}${REVIEW_STATUSES.map((s) => option(s, s, q.status))}</select></div>
<div><button type="submit">Filter</button></div>
</form>`;
}

function listTable(list: readonly ReviewStatus[], person: Person): SafeHtml {
  const rows =
    list.length === 0
      ? html`<tr><td colspan="8">No campaign matches this filter.</td></tr>`
      : list.map(
          (s) => html`<tr>
<th scope="row" class="num"><a href="${reviewPath(s.id)}">#${s.id}</a></th>
<td>${s.tenant}</td>
<td>${statusBadge(s)}</td>
<td>${s.period ?? html`<span class="muted">by hand</span>`}</td>
<td>${when(s.opened_at)}</td>
<td>${s.due_on}</td>
<td class="num">${s.decided} of ${s.items} (${percent(s.decided, s.items)} %)${s.flagged > 0 ? html`<br><span class="muted">${s.flagged} flagged</span>` : ''}</td>
<td>${progressList(s)}${queueLink(s, person) === '' ? '' : html`<p>${queueLink(s, person)}</p>`}</td>
</tr>`,
        );
  return html`<table id="reviews">
<caption>Access-review campaigns, newest first</caption>
<thead><tr><th scope="col" class="num">Campaign</th><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Period</th><th scope="col">Opened</th><th scope="col">Due</th><th scope="col" class="num">Decided</th><th scope="col">Per reviewer</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

async function showList(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, q: ListQuery, extra: { error?: Problem; values?: OpenFormValues } = {}): Promise<FastifyReply> {
  const person = personOf(req);
  const tenant = emptyAsNone(q.tenant);
  const status = parseStatusFilter(q.status);
  const list = await listReviews(ctx.db, { person }, { ...(tenant === undefined ? {} : { tenant }), ...(status === undefined ? {} : { status }) }, ctx.now());
  const visible = visibleTenants(person, await tenantNames(ctx.db));
  const body = html`${errorLine(extra.error)}
${openForm(req, reply, visible, extra.values ?? { tenant }, ctx.now())}
<h2 id="list-h">Campaigns</h2>
${filterForm(visible, q)}
${listTable(list, person)}`;
  return send(reply, renderPage(ctx, req, reply, { title: 'Access reviews', body }));
}

// One campaign

function facts(s: ReviewStatus): SafeHtml {
  const c = s.counts;
  return html`<dl class="facts" id="campaign-facts">
<dt>Tenant</dt><dd>${s.tenant}</dd>
<dt>Status</dt><dd id="campaign-status">${statusBadge(s)}</dd>
<dt>Period</dt><dd>${s.period ?? html`<span class="muted">opened by hand</span>`}</dd>
<dt>Opened</dt><dd>${when(s.opened_at)} by ${s.opened_by}</dd>
<dt>Due</dt><dd id="campaign-due">${s.due_on}${s.overdue ? html` <strong class="overdue">overdue</strong>` : ''} <span class="muted">(undecided items take the no-response policy on ${s.closes_on}, after the grace period)</span></dd>
<dt>No response</dt><dd>${s.no_response}</dd>
<dt>Covers</dt><dd>${c['accounts'] ?? 0} accounts, ${c['admins'] ?? 0} admins, ${c['machine_users'] ?? 0} machine users, ${c['live_tokens'] ?? 0} live tokens</dd>
<dt>Items</dt><dd id="campaign-counts">${s.items} items, ${s.flagged} flagged; ${s.decided} decided, ${s.undecided} undecided</dd>
<dt>Snapshot SHA-256</dt><dd><code id="snapshot-sha256">${s.snapshot_sha256}</code> <span class="muted">(every decision is tied to it)</span></dd>
${s.closed_at === null ? '' : html`<dt>Closed</dt><dd>${when(s.closed_at)}</dd>`}
</dl>`;
}

function progressTable(s: ReviewStatus, person: Person): SafeHtml {
  const me = person.email.toLowerCase();
  return html`<table id="progress"><caption>Progress per reviewer</caption>
<thead><tr><th scope="col">Reviewer</th><th scope="col" class="num">Items</th><th scope="col" class="num">Decided</th><th scope="col" class="num">Undecided</th><th scope="col" class="num">Flagged, undecided</th></tr></thead>
<tbody>${s.reviewers.map(
    (r) => html`<tr><th scope="row">${reviewerName(r.reviewer)}${r.reviewer === me && r.undecided > 0 && s.status === 'open' ? html` <a href="${reviewPath(s.id)}/queue">your queue</a>` : ''}</th><td class="num">${r.items}</td><td class="num">${r.decided} (${percent(r.decided, r.items)} %)</td><td class="num">${r.undecided}</td><td class="num">${r.flagged_undecided}</td></tr>`,
  )}</tbody></table>`;
}

function itemsTable(items: readonly ReviewItemView[], person: Person): SafeHtml {
  return html`<table id="items"><caption>Every item, riskiest first</caption>
<thead><tr><th scope="col" class="num">Item</th><th scope="col">Account</th><th scope="col">Role</th><th scope="col">Flags</th><th scope="col" class="num">Risk</th><th scope="col">Reviewer</th><th scope="col">Decision</th><th scope="col">Approval</th></tr></thead>
<tbody>${items.map(
    (i) => html`<tr id="row-${i.id}">
<th scope="row" class="num">#${i.id}</th>
<td>${accountCell(i)}</td>
<td>${i.role}</td>
<td>${flagsList(i)}</td>
<td class="num">${i.risk}</td>
<td>${reviewerName(i.reviewer)}</td>
<td>${decisionCell(i)}${i.drift === null ? '' : html`<br><span class="overdue">drift</span> <code>${JSON.stringify(i.drift)}</code>`}</td>
<td>${approvalCell(i, person)}</td>
</tr>`,
  )}</tbody></table>`;
}

function dryRunSection(s: ReviewStatus, items: readonly ReviewItemView[]): SafeHtml {
  if (s.status === 'closed') return html``;
  const undecided = items.filter((i) => i.if_no_response !== null);
  return html`<section aria-labelledby="dry-run-h">
<h2 id="dry-run-h">If nobody answers</h2>
${undecided.length === 0
  ? html`<p id="dry-run-none">Every item is decided: the no-response policy will do nothing.</p>`
  : html`<p>A dry run: when the campaign closes (on ${s.closes_on}, or now with “Close now”), its policy <strong>${s.no_response}</strong> does this to each of the ${undecided.length} undecided items, and nothing else.</p>
<table id="dry-run"><caption>What the no-response policy will do</caption>
<thead><tr><th scope="col" class="num">Item</th><th scope="col">Account</th><th scope="col">Role</th><th scope="col">Reviewer</th><th scope="col">At closing</th></tr></thead>
<tbody>${undecided.map((i) => html`<tr><th scope="row" class="num">#${i.id}</th><td>${accountCell(i)}</td><td>${i.role}</td><td>${reviewerName(i.reviewer)}</td><td>${i.if_no_response}</td></tr>`)}</tbody></table>`}
</section>`;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

function trailTable(trail: Awaited<ReturnType<typeof reviewTrail>>): SafeHtml {
  return html`<table id="trail"><caption>Every event of this campaign, oldest first: reminders, escalations, delegations, decisions</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Who</th><th scope="col">Item</th><th scope="col">Details</th></tr></thead>
<tbody>${trail.map(
    (e) => html`<tr><td>${when(e.at)}</td><td>${e.event.replace(/_/g, ' ')}</td><td>${e.actor}</td><td>${e.item_id === null ? '' : `#${e.item_id}`}</td><td>${Object.keys(e.detail).length === 0 ? '' : html`<code>${str(e.detail)}</code>`}</td></tr>`,
  )}</tbody></table>`;
}

/** The marker of the unassigned items in the reassign form's `from` (no email has it). */
const UNASSIGNED = '(unassigned)';

function officerForms(req: FastifyRequest, reply: FastifyReply, s: ReviewStatus): SafeHtml {
  const person = personOf(req);
  if (s.status === 'closed') return html``;
  if (!isOfficer(person)) return html`<p class="muted">Closing a campaign or reassigning a reviewer’s share needs the compliance or admin role for its tenant.</p>`;
  const shares = s.reviewers.filter((r) => r.undecided > 0);
  const reassign =
    s.status !== 'open' || shares.length === 0
      ? ''
      : html`<form method="post" action="${reviewPath(s.id)}/delegations" class="stacked" aria-labelledby="reassign-h">
<h3 id="reassign-h">Reassign a share</h3>
${csrfField(req, reply)}<input type="hidden" name="all" value="yes"><input type="hidden" name="back" value="campaign">
<label for="ra-from">Undecided items of</label>
<select id="ra-from" name="from">${shares.map((r) => option(r.reviewer ?? UNASSIGNED, `${r.reviewer ?? 'nobody yet (unassigned)'}: ${r.undecided}`, undefined))}</select>
<label for="ra-to">To (email of a person who may see ${s.tenant})</label>
<input id="ra-to" name="to" type="email" required autocomplete="off">
<div><button type="submit" class="secondary">Reassign</button></div>
</form>`;
  return html`<section aria-labelledby="officer-h" class="card">
<h2 id="officer-h">Run the campaign</h2>
<div class="grid">
<form method="post" action="${reviewPath(s.id)}/close" class="stacked" aria-labelledby="close-h">
<h3 id="close-h">Close now</h3>
${csrfField(req, reply)}
<p>Closing before the due date applies the policy <strong>${s.no_response}</strong> to the ${s.undecided} undecided items listed under “If nobody answers”, makes the evidence pack and records its hash in the audit log. It cannot be undone.</p>
<div><input type="checkbox" id="close-confirm" name="confirm" value="yes" required> <label class="inline" for="close-confirm">Yes, close campaign #${s.id} now</label></div>
<div><button type="submit">Close now</button></div>
</form>
${reassign}
</div>
</section>`;
}

function packSection(id: number, pack: ReturnType<typeof packListing> | undefined): SafeHtml {
  if (pack === undefined) return html`<p class="muted" id="pack-none">The evidence pack is made when the campaign closes.</p>`;
  const names = pack.files.filter((f) => f.name !== 'manifest.json').map((f) => f.name);
  return html`<div id="pack" class="card">
<p>Pack SHA-256 <code id="pack-sha256">${pack.pack_sha256}</code>, recorded in the hash-chained audit log.</p>
<table id="pack-files"><caption>The files, each as stored at closing</caption>
<thead><tr><th scope="col">File</th><th scope="col">SHA-256</th><th scope="col" class="num">Bytes</th></tr></thead>
<tbody>${pack.files.map((f) => html`<tr><th scope="row"><a href="${packFileHref(id, f.name, false)}" download="${f.name}">${f.name}</a></th><td><code>${f.sha256}</code></td><td class="num">${f.bytes}</td></tr>`)}</tbody></table>
<p class="muted">To check it without Warden: <code>sha256sum ${names.join(' ')}</code> prints each file’s hash as <code>manifest.json</code> lists it, and the same command piped to <code>sha256sum</code> prints the pack hash; or <code>warden review verify-pack DIR</code>.</p>
</div>`;
}

const DONE = {
  opened: 'Campaign opened: the snapshot is frozen, every item is flagged and assigned, and the reviewers are emailed.',
  closed: 'Closed: the undecided items took the no-response policy, and the evidence pack below was made and recorded in the audit log.',
  delegated: 'Handed over: the new reviewer sees the items in their queue, and the trail records it.',
} as const;

async function showCampaign(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, id: number, extra: { notice?: string | undefined; error?: Problem } = {}): Promise<FastifyReply> {
  const person = personOf(req);
  const actor = { person };
  const s = await reviewStatus(ctx.db, actor, id, ctx.now());
  const items = await reviewItems(ctx.db, actor, id);
  const trail = await reviewTrail(ctx.db, actor, id);
  const pack = s.status === 'closed' ? packListing(await reviewPack(ctx.db, actor, id), (name) => packFileHref(id, name, false)) : undefined;
  const mine = myShare(s, person);
  reply.header('cache-control', 'no-store');
  const body = html`${errorLine(extra.error)}
<p><a href="/reviews?tenant=${encodeURIComponent(s.tenant)}">All campaigns of ${s.tenant}</a>${mine !== undefined && mine.undecided > 0 && s.status === 'open' ? html` · <a href="${reviewPath(id)}/queue">Your queue: ${mine.undecided} undecided</a>` : ''}</p>
${facts(s)}
${officerForms(req, reply, s)}
<h2 id="progress-h">Progress</h2>
${progressTable(s, person)}
${dryRunSection(s, items)}
<h2 id="items-h">Items</h2>
${itemsTable(items, person)}
<h2 id="pack-h">Evidence pack</h2>
${packSection(id, pack)}
<h2 id="trail-h">Trail</h2>
${trailTable(trail)}`;
  return send(reply, renderPage(ctx, req, reply, { title: `Access review #${id}: ${s.tenant}`, body, notice: extra.notice }));
}

// A reviewer's queue

interface FailedDecision {
  item: number;
  comment: string;
  newRole: string;
}

function decideForm(req: FastifyRequest, reply: FastifyReply, id: number, i: ReviewItemView, focus: boolean, failed: FailedDecision | undefined): SafeHtml {
  const flagged = i.flags.length > 0;
  const invalid = failed !== undefined && failed.item === i.id;
  return html`<form method="post" action="${reviewPath(id)}/decisions" class="stacked" aria-label="Decide item #${i.id}">
${csrfField(req, reply)}<input type="hidden" name="item" value="${i.id}">
<label for="c-${i.id}">Comment ${flagged ? '(required to keep: the item is flagged)' : '(optional)'}</label>
<textarea id="c-${i.id}" name="comment" rows="2" cols="60" maxlength="2000"${flagged ? html` required aria-required="true"` : ''}${focus ? html` autofocus` : ''}${invalid ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>${invalid ? failed.comment : ''}</textarea>
<div class="actions">
<button type="submit" name="decision" value="keep">Keep</button>
${i.role === 'none' ? '' : html`<button type="submit" name="decision" value="revoke" class="secondary" formnovalidate>Revoke</button>`}
${i.lower_roles.length === 0
  ? ''
  : html`<span><label for="r-${i.id}" class="inline">Lower role</label> <select id="r-${i.id}" name="new_role">${i.lower_roles.map((r) => option(r, r, invalid ? failed.newRole : i.lower_roles[0]))}</select></span>
<button type="submit" name="decision" value="change_role" class="secondary" formnovalidate>Change role</button>`}
</div>
</form>`;
}

function delegateForm(req: FastifyRequest, reply: FastifyReply, id: number, i: ReviewItemView): SafeHtml {
  return html`<form method="post" action="${reviewPath(id)}/delegations" class="actions" aria-label="Delegate item #${i.id}">
${csrfField(req, reply)}<input type="hidden" name="items" value="${i.id}"><input type="hidden" name="back" value="queue">
<span><label for="d-${i.id}" class="inline">Delegate to</label> <input id="d-${i.id}" name="to" type="email" required autocomplete="off" placeholder="email"></span>
<button type="submit" class="secondary">Delegate</button>
</form>`;
}

function queueItem(req: FastifyRequest, reply: FastifyReply, id: number, i: ReviewItemView, focus: boolean, failed: FailedDecision | undefined): SafeHtml {
  return html`<li id="item-${i.id}" class="card${i.flags.length > 0 ? ' flagged' : ''}">
<h2 id="item-${i.id}-h">#${i.id} ${accountLabel(i)}: ${i.role}${i.flags.length > 0 ? html` <span class="tag tag-flagged">flagged</span>` : ''}</h2>
<dl class="facts">
<dt>Account</dt><dd>${i.account_id}${i.email === null ? '' : html`, ${i.email}`}${i.machine ? ' (machine)' : ''}</dd>
<dt>Flags</dt><dd>${flagsList(i)}</dd>
<dt>If nobody answers</dt><dd>${i.if_no_response ?? ''}</dd>
</dl>
${decideForm(req, reply, id, i, focus, failed)}
${delegateForm(req, reply, id, i)}
</li>`;
}

function bulkSection(req: FastifyRequest, reply: FastifyReply, id: number, unflagged: readonly ReviewItemView[]): SafeHtml {
  if (unflagged.length === 0) return html``;
  return html`<section id="bulk-keep" aria-labelledby="bulk-h" class="card">
<h2 id="bulk-h">Keep several unflagged items</h2>
<form method="post" action="${reviewPath(id)}/bulk-keep" class="stacked" aria-labelledby="bulk-h">
${csrfField(req, reply)}
<fieldset><legend>Unflagged items: tick the ones to keep</legend>
${unflagged.map((i) => html`<div><input type="checkbox" id="b-${i.id}" name="items" value="${i.id}"> <label class="inline" for="b-${i.id}">#${i.id} ${accountLabel(i)}: ${i.role}</label></div>`)}
</fieldset>
<label for="bulk-comment">Comment (optional)</label>
<textarea id="bulk-comment" name="comment" rows="2" cols="60" maxlength="2000"></textarea>
<div><button type="submit">Keep selected</button></div>
</form>
</section>`;
}

function handoverSection(req: FastifyRequest, reply: FastifyReply, id: number, count: number): SafeHtml {
  return html`<section id="handover" aria-labelledby="handover-h" class="card">
<h2 id="handover-h">Hand over your share</h2>
<form method="post" action="${reviewPath(id)}/delegations" class="stacked" aria-labelledby="handover-h">
${csrfField(req, reply)}<input type="hidden" name="all" value="yes"><input type="hidden" name="back" value="queue">
<label for="h-to">To (email)</label>
<input id="h-to" name="to" type="email" required autocomplete="off">
<div><button type="submit" class="secondary">Delegate all ${count} undecided items</button></div>
</form>
</section>`;
}

async function showQueue(
  ctx: WebContext,
  req: FastifyRequest,
  reply: FastifyReply,
  id: number,
  extra: { notice?: string | undefined; error?: Problem; failed?: FailedDecision } = {},
): Promise<FastifyReply> {
  const person = personOf(req);
  const s = await reviewStatus(ctx.db, { person }, id, ctx.now());
  const all = await reviewItems(ctx.db, { person }, id, { reviewer: person.email, undecided: true });
  // Flagged first, riskiest first within each (the action's order is by risk).
  const items = [...all.filter((i) => i.flags.length > 0), ...all.filter((i) => i.flags.length === 0)];
  const unflagged = items.filter((i) => i.flags.length === 0);
  const flagged = items.length - unflagged.length;
  const focusOn = extra.failed?.item ?? items[0]?.id;
  reply.header('cache-control', 'no-store');
  let main: SafeHtml;
  if (s.status !== 'open') {
    main = html`<p id="queue-none">This campaign is ${s.status}: nothing is left to decide.</p>`;
  } else if (items.length === 0) {
    main = html`<p id="queue-none">Nothing waits for you in this campaign${myShare(s, person) === undefined ? '' : ': every item of yours is decided'}.</p>`;
  } else {
    main = html`<nav aria-label="Jump to" class="pages"><a href="#item-${items[0]!.id}" accesskey="i">First item</a>${unflagged.length === 0 ? '' : html`<a href="#bulk-keep" accesskey="b">Keep several unflagged</a>`}<a href="#handover" accesskey="h">Hand over your share</a></nav>
<p class="muted" id="keys">Keyboard: the first item’s comment has the focus; Tab goes comment, Keep, Revoke, role, Change role, Delegate, then the next item; Enter presses the focused button. After each decision the next item has the focus. Access keys (your browser’s modifier, e.g. Alt+Shift in Firefox, Alt in Chrome): I the first item, B keep several unflagged items, H hand over your share.</p>
<ol id="queue" class="queue">${items.map((i) => queueItem(req, reply, id, i, i.id === focusOn, extra.failed))}</ol>
${bulkSection(req, reply, id, unflagged)}
${handoverSection(req, reply, id, items.length)}`;
  }
  const body = html`${errorLine(extra.error)}
<p><a href="${reviewPath(id)}">Campaign #${id} of ${s.tenant}</a>: due ${s.due_on}${s.overdue ? html` <strong class="overdue">overdue</strong>` : ''}. <span id="queue-counts">${items.length} undecided, ${flagged} flagged.</span> A revoke or role change is not done at once: it becomes an approval, re-checked and verified like any removal.</p>
${main}`;
  return send(reply, renderPage(ctx, req, reply, { title: `Your review queue: ${s.tenant}`, body, notice: extra.notice }));
}

// Forms

const OpenFormSchema = z.object({ _csrf: z.string().optional(), tenant: z.string().max(100), due: z.string().max(40).optional() });
const DecideFormSchema = z.object({
  _csrf: z.string().optional(),
  item: z.string().max(20),
  decision: z.string().max(40).optional(),
  new_role: z.string().max(40).optional(),
  comment: z.string().max(10_000).optional(),
});
const ItemIds = z.union([z.string().max(20), z.array(z.string().max(20)).max(500)]).optional();
const BulkFormSchema = z.object({ _csrf: z.string().optional(), items: ItemIds, comment: z.string().max(10_000).optional() });
const DelegateFormSchema = z.object({
  _csrf: z.string().optional(),
  items: ItemIds,
  all: z.literal('yes').optional(),
  from: z.string().max(320).optional(),
  to: z.string().max(320),
  back: z.enum(['queue', 'campaign']).optional(),
});
const CloseFormSchema = z.object({ _csrf: z.string().optional(), confirm: z.string().max(10).optional() });

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function decidedNotice(q: { decided?: number | undefined; approvals?: number | undefined; delegated?: number | undefined }): string | undefined {
  if (q.delegated !== undefined) return `${q.delegated} item${q.delegated === 1 ? '' : 's'} handed over; the trail records it.`;
  if (q.decided === undefined) return undefined;
  const asked = q.approvals ?? 0;
  return `${q.decided} item${q.decided === 1 ? '' : 's'} decided.${asked === 0 ? '' : ` ${asked} approval${asked === 1 ? '' : 's'} asked of the admins: a revoke or role change is carried out once approved, re-checked and verified.`}`;
}

export function registerReviewsPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();

  r.get('/reviews', { schema: { querystring: ListQuerySchema } }, async (req, reply) => showList(ctx, req, reply, req.query));

  r.post('/reviews', { schema: { body: OpenFormSchema } }, async (req, reply) => {
    const values = { tenant: req.body.tenant.trim(), due: emptyAsNone(req.body.due) };
    return orShowAgain(
      reply,
      async () => {
        const s = await openReview(reviewDeps(ctx), { person: personOf(req) }, values);
        return reply.redirect(`${reviewPath(s.id)}?done=opened`, 303);
      },
      (error) => showList(ctx, req, reply, {}, { error, values }),
    );
  });

  r.get('/reviews/:id', { schema: { params: ReviewParams, querystring: z.object({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }) } }, async (req, reply) =>
    showCampaign(ctx, req, reply, req.params.id, { notice: req.query.done === undefined ? undefined : DONE[req.query.done] }),
  );

  const QueueQuery = z.object({
    decided: z.coerce.number().int().min(0).max(500).optional(),
    approvals: z.coerce.number().int().min(0).max(500).optional(),
    delegated: z.coerce.number().int().min(0).max(500).optional(),
  });
  r.get('/reviews/:id/queue', { schema: { params: ReviewParams, querystring: QueueQuery } }, async (req, reply) => showQueue(ctx, req, reply, req.params.id, { notice: decidedNotice(req.query) }));

  r.post('/reviews/:id/decisions', { schema: { params: ReviewParams, body: DecideFormSchema } }, async (req, reply) => {
    const { id } = req.params;
    const b = req.body;
    return orShowAgain(
      reply,
      async () => {
        if (b.decision === undefined) throw new InputError('decision', 'press Keep, Revoke or Change role');
        const out = await decideReview(reviewDeps(ctx), personOf(req), id, { decisions: [{ item: b.item, decision: b.decision, new_role: b.new_role, comment: b.comment }], via: 'web' });
        return reply.redirect(`${reviewPath(id)}/queue?decided=${out.decided.length}&approvals=${out.approvals}`, 303);
      },
      (error) => showQueue(ctx, req, reply, id, { error, failed: { item: Number(b.item), comment: b.comment ?? '', newRole: b.new_role ?? '' } }),
    );
  });

  r.post('/reviews/:id/bulk-keep', { schema: { params: ReviewParams, body: BulkFormSchema } }, async (req, reply) => {
    const { id } = req.params;
    const person = personOf(req);
    return orShowAgain(
      reply,
      async () => {
        const given = asList(req.body.items);
        if (given.length === 0) throw new InputError('items', 'tick at least one item to keep');
        // Bulk keep is for unflagged items: a flagged one is decided on its own, with its reason.
        const flagged = new Set((await reviewItems(ctx.db, { person }, id)).filter((i) => i.flags.length > 0).map((i) => String(i.id)));
        const hit = given.find((g) => flagged.has(g.trim()));
        if (hit !== undefined) throw new InputError('items', `item ${hit.trim()} is flagged: decide it on its own, with a comment`);
        const out = await decideReview(reviewDeps(ctx), person, id, { decisions: given.map((item) => ({ item, decision: 'keep', comment: req.body.comment })), via: 'web' });
        return reply.redirect(`${reviewPath(id)}/queue?decided=${out.decided.length}&approvals=${out.approvals}`, 303);
      },
      (error) => showQueue(ctx, req, reply, id, { error }),
    );
  });

  r.post('/reviews/:id/delegations', { schema: { params: ReviewParams, body: DelegateFormSchema } }, async (req, reply) => {
    const { id } = req.params;
    const person = personOf(req);
    const b = req.body;
    const back = b.back ?? 'queue';
    return orShowAgain(
      reply,
      async () => {
        let input: Parameters<typeof delegateReview>[3];
        if (b.all === 'yes' && b.from === UNASSIGNED) {
          // Nobody's share: the unassigned items, by id (an officer may hand over any item).
          const ids = (await reviewItems(ctx.db, { person }, id, { undecided: true })).filter((i) => i.reviewer === null).map((i) => i.id);
          input = { items: ids, to: b.to };
        } else if (b.all === 'yes') {
          input = { all: true, ...(emptyAsNone(b.from) === undefined ? {} : { from: b.from!.trim() }), to: b.to };
        } else {
          input = { items: asList(b.items), to: b.to };
        }
        const out = await delegateReview(reviewDeps(ctx), person, id, input);
        return reply.redirect(back === 'queue' ? `${reviewPath(id)}/queue?delegated=${out.delegated.length}` : `${reviewPath(id)}?done=delegated`, 303);
      },
      (error) => (back === 'queue' ? showQueue(ctx, req, reply, id, { error }) : showCampaign(ctx, req, reply, id, { error })),
    );
  });

  r.post('/reviews/:id/close', { schema: { params: ReviewParams, body: CloseFormSchema } }, async (req, reply) => {
    const { id } = req.params;
    return orShowAgain(
      reply,
      async () => {
        if (req.body.confirm !== 'yes') throw new InputError('confirm', 'tick the box to confirm: closing applies the no-response policy to every undecided item now');
        await closeReview(reviewDeps(ctx), { person: personOf(req) }, id);
        return reply.redirect(`${reviewPath(id)}?done=closed`, 303);
      },
      (error) => showCampaign(ctx, req, reply, id, { error }),
    );
  });

  r.get('/reviews/:id/pack/:file', { schema: { params: PackFileParams } }, async (req, reply) =>
    sendPackFile(reply, await reviewPack(ctx.db, { person: personOf(req) }, req.params.id), req.params.file),
  );
}
