/**
 * The erasure pages (docs/architecture.md "Erasure"): `/erasures` (the status
 * counts with what is overdue or due soon, the requests newest first a page at
 * a time, a filter, and for engineers the form that enqueues a request) and
 * `/erasures/:id` (the request and its deadline, its certificate with the JSON
 * to download, its last checks, its trail, and the extend, retain and retry
 * forms as the person's role and the request's state allow), with the forms'
 * routes. The read models and actions are src/app/erasures.ts's, as the API
 * and the CLI use them: this file only renders and redirects. Identifiers are
 * taken by the form and never shown: a request shows their kinds only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  certificateAsText,
  erasureCertificate,
  erasureDetail,
  erasureStatus,
  extendErasure,
  listErasureViews,
  retainErasureAction,
  retryErasures,
  type ErasureDetail,
  type ErasureStatus,
  type ErasureView,
} from '../../app/erasures.js';
import { tenantNames } from '../../app/findings-view.js';
import { personActor } from '../../app/people.js';
import { ERASURE_REQUEST_STATUSES, type ErasureRequestStatus } from '../../db/database.js';
import { MAX_EXTENSION_MONTHS } from '../../erasure/deadline.js';
import { ErasureRefusedError } from '../../erasure/errors.js';
import { hasRole, visibleTenants } from '../access.js';
import { checkedIdentifiers, emptyAsNone, enqueueFor, erasureDeps, ErasureParams } from '../api/erasures.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { personOf } from '../person.js';
import { formatInstant } from './format.js';
import { csrfField, renderPage } from './layout.js';

/** Requests on a page of the list. */
const PAGE_SIZE = 50;
/** Statuses after which nothing more happens to a request (bar a re-verification): no deadline runs for them. */
const CLOSED: readonly ErasureRequestStatus[] = ['verified', 'not_found', 'retained'];
/** "Due soon", as the status contract and the sweep's emails count it. */
const DUE_SOON_DAYS = 7;
const DAY_MS = 86_400_000;

const STATUS_TEXT: Readonly<Record<ErasureRequestStatus, string>> = {
  received: 'received',
  purging: 'purging',
  purged: 'purged',
  verified: 'verified',
  not_found: 'not found',
  retained: 'retained',
  failed: 'failed',
};

export function erasurePath(id: number): string {
  return `/erasures/${id}`;
}

function send(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page);
}

/** An instant as people read it, in a `time` element carrying the exact one. */
function when(iso: string | null, none = 'not yet'): SafeHtml {
  if (iso === null) return html`<span class="muted">${none}</span>`;
  return html`<time datetime="${iso}">${formatInstant(iso)}</time>`;
}

function statusBadge(status: ErasureRequestStatus): SafeHtml {
  return html`<span class="status status-${status}">${STATUS_TEXT[status]}</span>`;
}

/** The deadline, and for an open request whether it has passed or is near. */
function deadline(v: ErasureView, now: Date): SafeHtml {
  const at = when(v.deadline_at);
  if (CLOSED.includes(v.status)) return at;
  if (v.overdue) return html`${at} <strong class="overdue">overdue</strong>`;
  const days = Math.ceil((Date.parse(v.deadline_at) - now.getTime()) / DAY_MS);
  return days <= DUE_SOON_DAYS ? html`${at} <span class="due-soon">due in ${days} day${days === 1 ? '' : 's'}</span>` : at;
}

function option(value: string, label: string, current: string | undefined): SafeHtml {
  return html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
}

// The list

const ListQuerySchema = z.object({
  tenant: z.string().max(100).optional(),
  status: z.string().max(40).optional(),
  before: z.coerce.number().int().min(1).max(2 ** 31 - 1).optional(),
});
type ListQuery = z.infer<typeof ListQuerySchema>;

function listHref(q: Pick<ListQuery, 'tenant' | 'status'>, before?: number): string {
  const params = new URLSearchParams();
  if (emptyAsNone(q.tenant) !== undefined) params.set('tenant', q.tenant!.trim());
  if (emptyAsNone(q.status) !== undefined) params.set('status', q.status!.trim());
  if (before !== undefined) params.set('before', String(before));
  const s = params.toString();
  return s === '' ? '/erasures' : `/erasures?${s}`;
}

function statusSection(s: ErasureStatus, tenant: string | undefined): SafeHtml {
  const oldest = s.oldest_open;
  return html`<section aria-labelledby="status-h">
<h2 id="status-h">Status${tenant === undefined ? ' of every tenant you may see' : html` of ${tenant}`}</h2>
<table id="erasure-counts"><caption>Requests by status</caption>
<thead><tr>${ERASURE_REQUEST_STATUSES.map((st) => html`<th scope="col" class="num">${STATUS_TEXT[st]}</th>`)}</tr></thead>
<tbody><tr>${ERASURE_REQUEST_STATUSES.map((st) => html`<td class="num">${s.counts[st]}</td>`)}</tr></tbody>
</table>
<p id="erasure-deadlines"><span class="${s.overdue > 0 ? 'overdue' : ''}">${s.overdue} overdue</span>; ${s.due_within_7_days} due within ${DUE_SOON_DAYS} days.
${oldest === null
  ? html`No request is open.`
  : html`The oldest open request is <a href="${erasurePath(oldest.id)}">#${oldest.id}</a> (${STATUS_TEXT[oldest.status]}, received ${when(oldest.received_at)}, due ${when(oldest.deadline_at)}).`}</p>
</section>`;
}

function enqueueForm(req: FastifyRequest, reply: FastifyReply, visible: readonly string[], chosen: string | undefined, now: Date): SafeHtml {
  if (!hasRole(personOf(req), ['engineer'])) return html``;
  if (visible.length === 0) return html`<p class="muted">There is no tenant you may enqueue an erasure request for.</p>`;
  return html`<section aria-labelledby="enqueue-h" class="card">
<h2 id="enqueue-h">New erasure request</h2>
<form method="post" action="/erasures" class="stacked" aria-labelledby="enqueue-h">
${csrfField(req, reply)}
<label for="e-tenant">Tenant</label>
<select id="e-tenant" name="tenant" required>${visible.map((t) => option(t, t, chosen ?? visible[0]))}</select>
<label for="e-profile">Profile id</label>
<input id="e-profile" name="profile_id" required inputmode="numeric" pattern="[1-9][0-9]{0,18}" maxlength="19" autocomplete="off" aria-describedby="e-profile-hint">
<p class="muted" id="e-profile-hint">The platform’s id of the profile to erase, a whole number. A profile the tenant already has a request for is not enqueued twice: you are shown that request.</p>
<label for="e-received">Received on (optional)</label>
<input id="e-received" name="received_at" type="date" max="${now.toISOString().slice(0, 10)}" aria-describedby="e-received-hint">
<p class="muted" id="e-received-hint">When the data subject asked; empty: today. The deadline is one calendar month from it.</p>
<label for="e-reference">Reference (optional)</label>
<input id="e-reference" name="reference" maxlength="200" autocomplete="off">
<label for="e-identifiers">Identifiers (optional), one per line</label>
<textarea id="e-identifiers" name="identifiers" rows="3" cols="60" autocomplete="off" spellcheck="false" aria-describedby="e-identifiers-hint"></textarea>
<p class="muted" id="e-identifiers-hint"><code>email:…</code> or <code>phone:…</code>. After the purge Warden searches by each to prove nothing is left; they are kept sealed until the request ends, then only as salted hashes, and never shown again.</p>
<div><button type="submit">Enqueue erasure</button></div>
</form>
</section>`;
}

function filterForm(visible: readonly string[], q: ListQuery): SafeHtml {
  return html`<form method="get" action="/erasures" class="filters" aria-label="Filter erasure requests">
<div><label for="f-tenant">Tenant</label><select id="f-tenant" name="tenant">${option('', 'All tenants', q.tenant)}${visible.map((t) => option(t, t, q.tenant))}</select></div>
<div><label for="f-status">Status</label><select id="f-status" name="status">${option('', 'Any status', q.status)}${ERASURE_REQUEST_STATUSES.map((s) => option(s, STATUS_TEXT[s], q.status))}</select></div>
<div><button type="submit">Filter</button></div>
</form>`;
}

function listTable(items: readonly ErasureView[], q: ListQuery, now: Date): SafeHtml {
  const rows =
    items.length === 0
      ? html`<tr><td colspan="7">No erasure request ${q.before === undefined ? 'matches this filter' : 'on this page'}.</td></tr>`
      : items.map(
          (v) => html`<tr>
<th scope="row" class="num"><a href="${erasurePath(v.id)}">#${v.id}</a></th>
<td>${v.tenant}</td>
<td>${v.profile_id}</td>
<td>${statusBadge(v.status)}</td>
<td>${v.reference ?? html`<span class="muted">none</span>`}</td>
<td>${when(v.received_at)}</td>
<td>${deadline(v, now)}</td>
</tr>`,
        );
  return html`<table id="erasures">
<caption>Erasure requests, newest first</caption>
<thead><tr><th scope="col" class="num">Id</th><th scope="col">Tenant</th><th scope="col">Profile</th><th scope="col">Status</th><th scope="col">Reference</th><th scope="col">Received</th><th scope="col">Deadline</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

// One request

function facts(v: ErasureView, now: Date): SafeHtml {
  return html`<dl class="facts">
<dt>Tenant</dt><dd>${v.tenant}</dd>
<dt>Profile</dt><dd>${v.profile_id}</dd>
<dt>Status</dt><dd id="erasure-status">${statusBadge(v.status)}</dd>
<dt>Reference</dt><dd>${v.reference ?? html`<span class="muted">none</span>`}</dd>
<dt>Requested by</dt><dd>${v.requested_by}</dd>
<dt>Received</dt><dd>${when(v.received_at)}</dd>
<dt>Deadline</dt><dd id="erasure-deadline">${deadline(v, now)}${v.extended === null
    ? html` <span class="muted">(one calendar month from receipt)</span>`
    : html` <span class="muted">(extended by ${v.extended.months} month${v.extended.months === 1 ? '' : 's'}${v.extended.by === null ? '' : html` by ${v.extended.by}`}${v.extended.at === null ? '' : html`, ${when(v.extended.at)}`}${v.extended.reason === null ? '' : html`: ${v.extended.reason}`})</span>`}</dd>
<dt>Purged</dt><dd>${when(v.purged_at)}${v.purge_rounds === 0 ? '' : html` <span class="muted">(${v.purge_rounds} round${v.purge_rounds === 1 ? '' : 's'}${v.purge_answers.length === 0 ? '' : html`; the platform answered ${v.purge_answers.join(', ')}`})</span>`}</dd>
<dt>${v.status === 'not_found' ? 'Proven absent' : 'Verified'}</dt><dd>${when(v.verified_at)}</dd>
${v.failed_at === null ? '' : html`<dt>Failed</dt><dd>${when(v.failed_at)}</dd>`}
${v.error === null ? '' : html`<dt>Error</dt><dd id="erasure-error">${v.error}</dd>`}
${v.retained === null ? '' : html`<dt>Retained</dt><dd>${v.retained.reason ?? ''}${v.retained.by === null ? '' : html` <span class="muted">(decided by ${v.retained.by}${v.retained.at === null ? '' : html`, ${when(v.retained.at)}`})</span>`}</dd>`}
<dt>Identifiers</dt><dd>${v.identifier_kinds.length === 0
    ? html`<span class="muted">none captured</span>`
    : html`${v.identifier_kinds.join(', ')} <span class="muted">(${v.identifiers_held ? 'held sealed until the request ends' : 'wiped; only their salted hashes are kept'})</span>`}</dd>
${v.next_reverify_at === null ? '' : html`<dt>Checked again</dt><dd>${when(v.next_reverify_at)} <span class="muted">(a restored backup may bring the profile back)</span></dd>`}
${v.reopened === 0 ? '' : html`<dt>Reopened</dt><dd>${v.reopened} time${v.reopened === 1 ? '' : 's'} <span class="muted">(the profile reappeared after it was proven gone)</span></dd>`}
</dl>`;
}

function actionForms(req: FastifyRequest, reply: FastifyReply, v: ErasureView): SafeHtml {
  const person = personOf(req);
  const engineer = hasRole(person, ['engineer']);
  const compliance = hasRole(person, ['compliance']);
  const forms: SafeHtml[] = [];
  const needs: string[] = [];
  const action = (name: string) => `${erasurePath(v.id)}/${name}`;

  if (!CLOSED.includes(v.status) && v.extended === null && !v.overdue) {
    if (engineer) {
      forms.push(html`<form method="post" action="${action('extend')}" class="stacked" aria-labelledby="extend-h">
<h3 id="extend-h">Extend the deadline</h3>
${csrfField(req, reply)}
<p class="muted">Once, by up to ${MAX_EXTENSION_MONTHS} further months, where the request is complex or there are many (GDPR Art. 12(3)); the data subject must be told why within the first month.</p>
<label for="extend-months">By</label>
<select id="extend-months" name="months">${Array.from({ length: MAX_EXTENSION_MONTHS }, (_, i) => i + 1).map((m) => html`<option value="${m}">${m} month${m === 1 ? '' : 's'}</option>`)}</select>
<label for="extend-reason">Why (required)</label>
<textarea id="extend-reason" name="reason" rows="3" cols="40" maxlength="2000" required></textarea>
<div><button type="submit">Extend</button></div>
</form>`);
    } else needs.push('Extending the deadline needs the engineer role.');
  }
  if (v.status === 'received' || v.status === 'failed') {
    if (compliance) {
      forms.push(html`<form method="post" action="${action('retain')}" class="stacked" aria-labelledby="retain-h">
<h3 id="retain-h">Retain the data</h3>
${csrfField(req, reply)}
<p class="muted">Keep this profile on purpose, for a legal reason (e.g. a legal hold, or an exemption of Art. 17(3)). The reason and your name are recorded; the request ends as retained.</p>
<label for="retain-reason">Legal reason (required)</label>
<textarea id="retain-reason" name="reason" rows="3" cols="40" maxlength="2000" required></textarea>
<div><button type="submit" class="secondary">Retain</button></div>
</form>`);
    } else needs.push('Retaining the data for a legal reason needs the compliance role.');
  }
  if (v.status === 'failed' || v.status === 'retained') {
    if (engineer) {
      forms.push(html`<form method="post" action="${action('retry')}" class="stacked" aria-labelledby="retry-h">
<h3 id="retry-h">Retry</h3>
${csrfField(req, reply)}
<p class="muted">${v.status === 'retained' ? 'The legal hold has ended? Re-open the request: a new run purges the profile and verifies it (its identifiers were wiped when it was retained: the profile and its transactions are checked).' : 'Re-open the request: a new run purges the profile and verifies again.'}</p>
<div><button type="submit">Retry the erasure</button></div>
</form>`);
    } else needs.push('Retrying needs the engineer role.');
  }
  if (forms.length === 0 && needs.length === 0) return html``;
  return html`<section aria-labelledby="actions-h" class="card">
<h2 id="actions-h">Decide</h2>
${forms.length === 0 ? '' : html`<div class="grid">${forms}</div>`}
${needs.map((n) => html`<p class="muted">${n}</p>`)}
</section>`;
}

function certificateSection(d: ErasureDetail, text: string | undefined): SafeHtml {
  const c = d.certificate;
  if (c === null) {
    const why = d.request.status === 'retained' ? 'the data was retained on purpose' : d.request.status === 'failed' ? 'the erasure failed' : 'it is issued once the erasure is proven';
    return html`<p class="muted" id="certificate-none">No certificate: ${why}.</p>`;
  }
  return html`<div id="certificate" class="card">
<p>Certificate <strong>#${c.id}</strong>: ${c.outcome === 'verified' ? 'purged and proven gone' : 'the platform never held the profile, proven the same way'}, issued ${when(c.issued_at)}.</p>
<p>SHA-256 <code id="certificate-sha256">${c.sha256}</code>, recorded in the audit log.</p>
<p><a id="certificate-download" href="/api/v1/erasures/${d.request.id}/certificate" download="erasure-${d.request.id}-certificate.json">Download the certificate (JSON)</a></p>
${text === undefined ? '' : html`<details><summary>The certificate as text</summary><pre id="certificate-text" class="certificate-text">${text}</pre></details>`}
</div>`;
}

interface Check {
  check?: unknown;
  identifier?: unknown;
  call?: unknown;
  passed?: unknown;
  result?: unknown;
  at?: unknown;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

function checksTable(checks: readonly unknown[]): SafeHtml {
  if (checks.length === 0) return html`<p class="muted" id="checks-none">No verification has run yet.</p>`;
  return html`<table id="checks"><caption>What the last verification asked the platform, and what it found</caption>
<thead><tr><th scope="col">Check</th><th scope="col">Call</th><th scope="col">Result</th><th scope="col">When</th></tr></thead>
<tbody>${(checks as Check[]).map(
    (c) => html`<tr><th scope="row">${str(c.check)}${c.identifier === undefined ? '' : html` by ${str(c.identifier)}`}</th><td><code>${str(c.call)}</code></td><td>${c.passed === true ? html`<strong class="passed">passed</strong>` : html`<strong class="overdue">failed</strong>`}: ${str(c.result)}</td><td>${typeof c.at === 'string' ? when(c.at) : ''}</td></tr>`,
  )}</tbody></table>`;
}

function trailTable(d: ErasureDetail): SafeHtml {
  return html`<table id="trail"><caption>Every event of this request, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Who</th><th scope="col">Details</th></tr></thead>
<tbody>${d.events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.event.replace(/_/g, ' ')}</td><td>${e.actor}</td><td>${Object.keys(e.detail).length === 0 ? '' : html`<code>${JSON.stringify(e.detail)}</code>`}</td></tr>`)}</tbody>
</table>`;
}

function detailBody(req: FastifyRequest, reply: FastifyReply, d: ErasureDetail, text: string | undefined, now: Date): SafeHtml {
  return html`<p><a href="/erasures?tenant=${encodeURIComponent(d.request.tenant)}">All erasure requests of ${d.request.tenant}</a></p>
${facts(d.request, now)}
${actionForms(req, reply, d.request)}
<h2 id="certificate-h">Certificate of erasure</h2>
${certificateSection(d, text)}
<h2 id="checks-h">Last checks</h2>
${checksTable(d.checks)}
<h2 id="trail-h">History</h2>
${trailTable(d)}`;
}

// Forms

const DONE = {
  created: 'Erasure request received: Warden purges the profile, then proves it gone. This page shows each step.',
  existing: 'The tenant already had a request for this profile: here it is. Nothing new was written.',
  extended: 'Deadline extended; the reason is recorded.',
  retained: 'Retained: the data is kept, with your reason recorded.',
  retried: 'Re-opened: a new run purges the profile and verifies again.',
} as const;

const EnqueueFormSchema = z.object({
  _csrf: z.string().optional(),
  tenant: z.string().max(100),
  profile_id: z.string().max(40),
  received_at: z.string().max(40).optional(),
  reference: z.string().max(1000).optional(),
  identifiers: z.string().max(10_000).optional(),
});

const ExtendFormSchema = z.object({ _csrf: z.string().optional(), months: z.coerce.number().int(), reason: z.string().max(10_000).optional() });
const RetainFormSchema = z.object({ _csrf: z.string().optional(), reason: z.string().max(10_000).optional() });
const RetryFormSchema = z.object({ _csrf: z.string().optional() });

export function registerErasuresPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const deps = erasureDeps(ctx);

  r.get('/erasures', { schema: { querystring: ListQuerySchema } }, async (req, reply) => {
    const person = personOf(req);
    const now = ctx.now();
    const q = req.query;
    const tenant = emptyAsNone(q.tenant);
    const status = await erasureStatus(ctx.db, { tenant }, person, now);
    const rows = await listErasureViews(ctx.db, { tenant, status: emptyAsNone(q.status), before: q.before, limit: PAGE_SIZE + 1 }, person, now);
    const items = rows.slice(0, PAGE_SIZE);
    const visible = visibleTenants(person, await tenantNames(ctx.db));
    const first = q.before === undefined ? '' : html`<a rel="first" href="${listHref(q)}">Newest requests</a>`;
    const next = rows.length > PAGE_SIZE ? html`<a rel="next" href="${listHref(q, items.at(-1)!.id)}">Older requests</a>` : '';
    const body = html`${statusSection(status, tenant)}
${enqueueForm(req, reply, visible, tenant, now)}
<h2 id="list-h">Requests</h2>
${filterForm(visible, q)}
${listTable(items, q, now)}
${first !== '' || next !== '' ? html`<nav class="pages" aria-label="Pages of erasure requests">${first}${next}</nav>` : ''}`;
    return send(reply, renderPage(ctx, req, reply, { title: 'Erasure requests', body }));
  });

  r.get('/erasures/:id', { schema: { params: ErasureParams, querystring: z.object({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }) } }, async (req, reply) => {
    const person = personOf(req);
    const now = ctx.now();
    const detail = await erasureDetail(ctx.db, req.params.id, person, now);
    let text: string | undefined;
    if (detail.certificate !== null) {
      try {
        text = certificateAsText(await erasureCertificate(ctx.db, detail.request.id, person));
      } catch (err) {
        // Reopened between the two reads: the page shows the request as it was read.
        if (!(err instanceof ErasureRefusedError)) throw err;
      }
    }
    reply.header('cache-control', 'no-store');
    const notice = req.query.done === undefined ? undefined : DONE[req.query.done];
    return send(reply, renderPage(ctx, req, reply, { title: `Erasure request #${detail.request.id}`, body: detailBody(req, reply, detail, text, now), notice }));
  });

  r.post('/erasures', { schema: { body: EnqueueFormSchema } }, async (req, reply) => {
    const b = req.body;
    // One a line; blank lines are nothing. A bad one is named by its line.
    const given = (b.identifiers ?? '')
      .split(/\r?\n/)
      .map((text, i) => ({ text: text.trim(), line: i + 1 }))
      .filter((g) => g.text !== '');
    const identifiers = checkedIdentifiers(
      given.map((g) => g.text),
      (i) => `identifiers, line ${given[i]!.line}`,
    );
    const out = await enqueueFor(ctx, req, { tenant: b.tenant.trim(), profileId: b.profile_id, receivedAt: b.received_at, reference: b.reference, identifiers });
    return reply.redirect(`${erasurePath(out.request.id)}?done=${out.created ? 'created' : 'existing'}`, 303);
  });

  r.post('/erasures/:id/extend', { schema: { params: ErasureParams, body: ExtendFormSchema } }, async (req, reply) => {
    const person = personOf(req);
    await extendErasure(deps, req.params.id, { months: req.body.months, reason: req.body.reason }, personActor(person), person);
    return reply.redirect(`${erasurePath(req.params.id)}?done=extended`, 303);
  });

  r.post('/erasures/:id/retain', { schema: { params: ErasureParams, body: RetainFormSchema } }, async (req, reply) => {
    const person = personOf(req);
    await retainErasureAction(deps, req.params.id, { reason: req.body.reason }, personActor(person), person);
    return reply.redirect(`${erasurePath(req.params.id)}?done=retained`, 303);
  });

  r.post('/erasures/:id/retry', { schema: { params: ErasureParams, body: RetryFormSchema } }, async (req, reply) => {
    const person = personOf(req);
    await retryErasures(deps, [req.params.id], personActor(person), person);
    return reply.redirect(`${erasurePath(req.params.id)}?done=retried`, 303);
  });
}
