/**
 * The findings pages: `/findings` (a filter form, one page of the list, links
 * to the other pages and to the CSV of the same filter), `/findings.csv`, and
 * `/findings/:tenant/:fingerprint` (evidence, suppression, the runs that saw
 * it, its history), with the suppress and unsuppress forms of the compliance
 * role. The read model and the actions are the API's (src/app/findings-view.ts,
 * src/app/suppressions.ts); this file only renders and redirects.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  DEFAULT_PAGE_SIZE,
  filterChoices,
  findingDetail,
  findingsCsv,
  listFindingsPage,
  type FindingDetail,
  type FindingsFilter,
  type FindingSummary,
  type HistoryEntry,
} from '../../app/findings-view.js';
import { personActor } from '../../app/people.js';
import { latestExpiry, MAX_REASON_LENGTH, suppress, unsuppress } from '../../app/suppressions.js';
import { subjectText } from '../../report/findings.format.js';
import { hasRole } from '../access.js';
import { FindingParamsSchema, FindingsListQuerySchema, filterOf, signedIn, visibleTo } from '../api/findings.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, renderPage } from './layout.js';

const DAY_MS = 86_400_000;

/** `2026-11-29 06:00 UTC`, in a `time` element carrying the exact instant. */
function when(d: Date | null): SafeHtml {
  if (d === null) return html`<span class="muted">never</span>`;
  const text = `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${d.toISOString()}">${text}</time>`;
}

/** The query string of a filter (empty values left out), with more parameters after it. */
function queryOf(filter: FindingsFilter, more: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...more })) if (v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function findingPath(tenant: string, fingerprint: string): string {
  return `/findings/${encodeURIComponent(tenant)}/${encodeURIComponent(fingerprint)}`;
}

function severityCell(severity: string): SafeHtml {
  return html`<span class="sev-${severity}">${severity}</span>`;
}

function stateText(f: Pick<FindingSummary, 'state' | 'suppressed_until' | 'resolved_at'>): SafeHtml {
  if (f.state === 'suppressed') return html`suppressed until ${when(f.suppressed_until)}`;
  if (f.state === 'resolved') return html`resolved ${when(f.resolved_at)}`;
  return html`open`;
}

const STATE_CAPTIONS: Readonly<Record<string, string>> = {
  open: 'Open findings',
  suppressed: 'Suppressed findings',
  resolved: 'Resolved findings',
  all: 'All findings',
};

const NOTICES: Readonly<Record<string, string>> = {
  suppressed: 'The finding is suppressed: it has left the open list and the digests until the suppression ends.',
  unsuppressed: 'The suppression is lifted: the finding is back in the open list and the digests.',
};

function send(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page);
}

function select(id: string, label: string, name: string, options: SafeHtml): SafeHtml {
  return html`<div><label for="${id}">${label}</label><select id="${id}" name="${name}">${options}</select></div>`;
}

function option(value: string, text: string, current: string | undefined): SafeHtml {
  return html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${text}</option>`;
}

function filterForm(visible: readonly string[], filter: FindingsFilter, pageSize: number): SafeHtml {
  const choices = filterChoices(visible);
  const state = filter.state ?? 'open';
  return html`<form method="get" action="/findings" class="filters" aria-label="Filter findings">
${select('f-tenant', 'Tenant', 'tenant', html`${option('', 'All tenants', filter.tenant)}${choices.tenants.map((t) => option(t, t, filter.tenant))}`)}
${select('f-family', 'Family', 'family', html`${option('', 'All families', filter.family)}${choices.families.map((f) => option(f, f, filter.family))}`)}
${select(
  'f-rule',
  'Rule',
  'rule',
  html`${option('', 'All rules', filter.rule)}${choices.rules.map((g) => html`<optgroup label="${g.family}">${g.rules.map((r) => option(r.id, `${r.id} ${r.name}`, filter.rule))}</optgroup>`)}`,
)}
${select('f-severity', 'Severity', 'severity', html`${option('', 'Any severity', filter.severity)}${choices.severities.map((s) => option(s, s, filter.severity))}`)}
${select('f-state', 'State', 'state', html`${choices.states.map((s) => option(s, s, state))}`)}
${pageSize === DEFAULT_PAGE_SIZE ? '' : html`<input type="hidden" name="page_size" value="${pageSize}">`}
<div><button type="submit">Filter</button></div>
</form>`;
}

function listBody(visible: readonly string[], filter: FindingsFilter, result: Awaited<ReturnType<typeof listFindingsPage>>): SafeHtml {
  const pages = Math.max(1, Math.ceil(result.total / result.page_size));
  const sizeParam = { page_size: result.page_size === DEFAULT_PAGE_SIZE ? undefined : result.page_size };
  const caption = `${STATE_CAPTIONS[filter.state ?? 'open']}, most severe first: page ${result.page} of ${pages}`;
  const rows =
    result.items.length === 0
      ? html`<tr><td colspan="7">No findings ${result.total > 0 ? 'on this page' : 'match this filter'}.</td></tr>`
      : result.items.map(
          (f) => html`<tr>
<td>${severityCell(f.severity)}</td>
<td>${f.tenant}</td>
<td class="nowrap"><abbr title="${f.name}">${f.rule}</abbr></td>
<td>${subjectText(f.subject)}</td>
<td><a href="${findingPath(f.tenant, f.fingerprint)}">${f.title}</a></td>
<td>${stateText(f)}</td>
<td>${when(f.last_seen)}</td>
</tr>`,
        );
  const prev = result.page > 1 ? html`<a rel="prev" href="/findings${queryOf(filter, { ...sizeParam, page: result.page - 1 })}">Previous page</a>` : '';
  const next = result.page < pages ? html`<a rel="next" href="/findings${queryOf(filter, { ...sizeParam, page: result.page + 1 })}">Next page</a>` : '';
  return html`${filterForm(visible, filter, result.page_size)}
<p id="findings-total">${result.total} ${result.total === 1 ? 'finding matches' : 'findings match'}. Page ${result.page} of ${pages}.</p>
<p><a id="findings-csv" href="/findings.csv${queryOf(filter)}">Download the ${result.total} findings of this filter as CSV</a></p>
<table id="findings">
<caption>${caption}</caption>
<thead><tr><th scope="col">Severity</th><th scope="col">Tenant</th><th scope="col">Rule</th><th scope="col">Subject</th><th scope="col">Finding</th><th scope="col">State</th><th scope="col">Last seen</th></tr></thead>
<tbody>${rows}</tbody>
</table>
${pages > 1 ? html`<nav class="pages" aria-label="Pages of findings">${prev}${next}</nav>` : ''}`;
}

/** `YYYY-MM-DD` of an instant, UTC: the value of a date input. */
const dateOf = (d: Date): string => d.toISOString().slice(0, 10);

function suppressionSection(req: FastifyRequest, reply: FastifyReply, f: FindingDetail, now: Date): SafeHtml {
  const action = findingPath(f.tenant, f.fingerprint);
  const compliance = req.principal !== undefined && hasRole(req.principal.person, ['compliance']);
  if (f.suppression !== null) {
    const s = f.suppression;
    return html`<section aria-labelledby="suppression-h" class="card">
<h2 id="suppression-h">Suppression</h2>
<p id="suppressed-until"><strong>Suppressed until ${when(s.expires_at)}</strong>, by ${s.author} on ${when(s.created_at)}.</p>
<p>Reason: ${s.reason}</p>
${compliance
  ? html`<form method="post" action="${action}/unsuppress">${csrfField(req, reply)}<button type="submit" class="secondary">Unsuppress</button></form>`
  : html`<p class="muted">Lifting a suppression needs the compliance role.</p>`}
</section>`;
  }
  if (!compliance) {
    return html`<section aria-labelledby="suppression-h" class="card"><h2 id="suppression-h">Suppression</h2>
<p>Not suppressed. Suppressing a finding needs the compliance role.</p></section>`;
  }
  const tomorrow = new Date(now.getTime() + DAY_MS);
  return html`<section aria-labelledby="suppression-h" class="card">
<h2 id="suppression-h">Suppress this finding</h2>
<p class="muted">A suppressed finding leaves the open list and the digests until the date given (00:00 UTC that day), then comes back if it still holds. The reason and your address go in the audit log.</p>
<form method="post" action="${action}/suppress" class="stacked">
${csrfField(req, reply)}
<label for="reason">Reason</label>
<p class="muted" id="reason-hint">Why the risk is accepted, up to ${MAX_REASON_LENGTH} characters.</p>
<textarea id="reason" name="reason" rows="3" cols="60" required maxlength="${MAX_REASON_LENGTH}" aria-describedby="reason-hint"></textarea>
<label for="expires_at">Suppressed until</label>
<p class="muted" id="expires-hint">A date from tomorrow to a year from now.</p>
<input id="expires_at" name="expires_at" type="date" required min="${dateOf(tomorrow)}" max="${dateOf(latestExpiry(now))}" aria-describedby="expires-hint">
<div><button type="submit">Suppress</button></div>
</form>
</section>`;
}

const HISTORY_TEXT: Readonly<Record<HistoryEntry['event'], string>> = {
  first_seen: 'First seen',
  reopened: 'Reopened (it had been resolved)',
  resolved: 'Resolved: a later run no longer found it',
  suppressed: 'Suppressed',
  unsuppressed: 'Suppression lifted',
  audit: 'Audit log entry',
};

function historyDetails(h: HistoryEntry): SafeHtml | string {
  if (h.details === null) return '';
  const { reason, expires_at: expires, ...rest } = h.details;
  const parts: (SafeHtml | string)[] = [];
  if (typeof reason === 'string') parts.push(html`reason: ${reason}`);
  if (typeof expires === 'string') parts.push(html`until ${when(new Date(expires))}`);
  if (Object.keys(rest).length > 0) parts.push(html`<code>${JSON.stringify(rest)}</code>`);
  return html`${parts.map((p, i) => html`${i > 0 ? '; ' : ''}${p}`)}`;
}

function detailBody(req: FastifyRequest, reply: FastifyReply, f: FindingDetail, now: Date): SafeHtml {
  const evidence = Object.entries(f.evidence);
  return html`<p><a href="/findings${queryOf({ tenant: f.tenant })}">All findings of ${f.tenant}</a></p>
<dl class="facts">
<dt>Tenant</dt><dd>${f.tenant}</dd>
<dt>Rule</dt><dd>${f.rule} ${f.name} (${f.family})</dd>
<dt>Severity</dt><dd>${severityCell(f.severity)}</dd>
<dt>Subject</dt><dd>${subjectText(f.subject)} <span class="muted">(${f.subject.type})</span></dd>
<dt>Action</dt><dd>${f.action.replace(/_/g, ' ')}${f.requires_approval ? ' (needs an admin’s approval)' : ''}</dd>
<dt>State</dt><dd id="finding-state">${stateText(f)}</dd>
<dt>First seen</dt><dd>${when(f.first_seen)}</dd>
<dt>Last seen</dt><dd>${when(f.last_seen)}</dd>
<dt>Resolved</dt><dd>${when(f.resolved_at)}</dd>
<dt>Reopened</dt><dd>${when(f.reopened_at)}</dd>
<dt>Fingerprint</dt><dd><code>${f.fingerprint}</code></dd>
</dl>
${suppressionSection(req, reply, f, now)}
<h2 id="evidence-h">Evidence</h2>
${evidence.length === 0
  ? html`<p>The rule recorded no evidence.</p>`
  : html`<table id="evidence"><caption>What the rule saw</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
<tbody>${evidence.map(([k, v]) => html`<tr><th scope="row">${k}</th><td><code>${typeof v === 'string' ? v : JSON.stringify(v)}</code></td></tr>`)}</tbody></table>`}
<h2 id="runs-h">Runs that saw it</h2>
<p class="muted">Succeeded ${f.job_kind} runs of ${f.tenant} between its first and last sighting: each of them found it, since a run resolves what it no longer finds.${f.reopened_at === null ? '' : ' It was resolved for a while before it reopened, and the ledger does not keep when: runs marked “maybe” may not have seen it.'}${f.runs_total > f.runs.length ? ` The newest ${f.runs.length} of ${f.runs_total}.` : ''}</p>
${f.runs.length === 0
  ? html`<p>No succeeded run is recorded in that span.</p>`
  : html`<table id="runs"><caption>${f.runs_total} ${f.runs_total === 1 ? 'run' : 'runs'}, newest first</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Job</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Saw it</th></tr></thead>
<tbody>${f.runs.map((r) => html`<tr><td><a href="/runs/${r.id}">${r.id}</a></td><td>${r.kind}</td><td>${when(r.started_at)}</td><td>${when(r.finished_at)}</td><td>${r.certain ? 'yes' : 'maybe'}</td></tr>`)}</tbody></table>`}
<h2 id="history-h">History</h2>
<table id="history"><caption>Its lifecycle and the audit log’s entries about it, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">Details</th></tr></thead>
<tbody>${f.history.map((h) => html`<tr><td>${when(h.at)}</td><td>${HISTORY_TEXT[h.event]}${h.event === 'audit' ? html` <code>${h.action}</code>` : ''}</td><td>${h.actor ?? html`<span class="muted">Warden</span>`}</td><td>${historyDetails(h)}</td></tr>`)}</tbody>
</table>`;
}

const SuppressFormSchema = z.object({
  _csrf: z.string().optional(),
  reason: z.string().max(10_000),
  expires_at: z.string().max(100),
});
const CsrfFormSchema = z.object({ _csrf: z.string().optional() });
const DetailQuerySchema = z.object({ done: z.enum(['suppressed', 'unsuppressed']).optional() });

export function registerFindingsPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();

  r.get('/findings', { schema: { querystring: FindingsListQuerySchema } }, async (req, reply) => {
    const visible = await visibleTo(ctx, req);
    const filter = filterOf(req.query);
    const result = await listFindingsPage(ctx.db, visible, { ...filter, page: req.query.page, pageSize: req.query.page_size }, ctx.now());
    const body = listBody(visible, filter, result);
    return send(reply, renderPage(ctx, req, reply, { title: 'Findings', body }));
  });

  r.get('/findings.csv', { schema: { querystring: FindingsListQuerySchema.pick({ tenant: true, family: true, rule: true, severity: true, state: true }) } }, async (req, reply) => {
    const now = ctx.now();
    const pieces = await findingsCsv(ctx.db, await visibleTo(ctx, req), filterOf(req.query), now);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="warden-findings-${dateOf(now)}.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(pieces));
  });

  r.get('/findings/:tenant/:fingerprint', { schema: { params: FindingParamsSchema, querystring: DetailQuerySchema } }, async (req, reply) => {
    const now = ctx.now();
    const finding = await findingDetail(ctx.db, await visibleTo(ctx, req), req.params.tenant, req.params.fingerprint, now);
    reply.header('cache-control', 'no-store');
    const notice = req.query.done === undefined ? undefined : NOTICES[req.query.done];
    return send(reply, renderPage(ctx, req, reply, { title: finding.title, body: detailBody(req, reply, finding, now), notice }));
  });

  r.post('/findings/:tenant/:fingerprint/suppress', { schema: { params: FindingParamsSchema, body: SuppressFormSchema } }, async (req, reply) => {
    const { tenant, fingerprint } = req.params;
    await suppress(ctx.db, { tenant, fingerprint, reason: req.body.reason, expiresAt: req.body.expires_at }, personActor(signedIn(req)), ctx.now());
    return reply.redirect(`${findingPath(tenant, fingerprint)}?done=suppressed`, 303);
  });

  r.post('/findings/:tenant/:fingerprint/unsuppress', { schema: { params: FindingParamsSchema, body: CsrfFormSchema } }, async (req, reply) => {
    const { tenant, fingerprint } = req.params;
    await unsuppress(ctx.db, tenant, fingerprint, personActor(signedIn(req)), ctx.now());
    return reply.redirect(`${findingPath(tenant, fingerprint)}?done=unsuppressed`, 303);
  });
}
