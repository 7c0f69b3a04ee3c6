/**
 * The runs pages: `GET /runs` (job runs the person may see, filtered by
 * tenant, job and status, 50 a page, newest first) and `GET /runs/:id` (one
 * run: status, duration, attempts, counts, error). The data is
 * src/app/runs-view.ts's, as `/api/v1/runs` serves it. Times are in UTC, as
 * `warden runs` prints them.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findRunView, listRunsView, type RunFilter, type RunsPage, type RunView } from '../../app/runs-view.js';
import { visibleTenantNames } from '../../app/tenants-view.js';
import { JOB_RUN_STATUSES } from '../../db/database.js';
import { PageNumber, RunParams } from '../api/runs.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { personOf } from '../person.js';
import { visibleRun } from '../visible-run.js';
import { orderedCounts } from '../../report/run-counts.format.js';
import { formatCounts, formatDuration, formatInstant } from './format.js';
import { renderPage } from './layout.js';

/** A filter's select: the empty value is "any". */
function select(id: string, label: string, options: readonly string[], chosen: string | undefined): SafeHtml {
  return html`<div><label for="${id}">${label}</label>
<select id="${id}" name="${id.replace(/^f-/, '')}">
<option value="">Any</option>
${options.map((o) => html`<option value="${o}"${o === chosen ? html` selected` : ''}>${o}</option>`)}
</select></div>`;
}

/** `/runs` with the filter and a page, empty parts left out. */
function runsHref(filter: RunFilter, page: number): string {
  const q = new URLSearchParams();
  if (filter.tenant !== undefined) q.set('tenant', filter.tenant);
  if (filter.kind !== undefined) q.set('kind', filter.kind);
  if (filter.status !== undefined) q.set('status', filter.status);
  if (page > 1) q.set('page', String(page));
  const s = q.toString();
  return s === '' ? '/runs' : `/runs?${s}`;
}

function statusBadge(status: string): SafeHtml {
  return html`<span class="status status-${status}">${status}</span>`;
}

function runsTable(list: RunsPage, filter: RunFilter): SafeHtml {
  if (list.total === 0) return html`<p class="notice" role="status">No run matches these filters.</p>`;
  if (list.runs.length === 0) {
    return html`<p class="notice" role="status">There is no page ${list.page}: the last is <a href="${runsHref(filter, list.pages)}">page ${list.pages}</a>.</p>`;
  }
  const first = (list.page - 1) * list.per_page + 1;
  const last = first + list.runs.length - 1;
  const rows = list.runs.map(
    (r) => html`<tr>
<th scope="row"><a href="/runs/${r.id}">#${r.id}</a></th>
<td>${r.kind}</td>
<td>${r.tenant ?? html`<span class="muted">fleet</span>`}</td>
<td>${statusBadge(r.status)}</td>
<td class="num">${r.attempts}</td>
<td>${formatInstant(r.created_at)}</td>
<td class="num">${formatDuration(r.duration_ms)}</td>
<td>${r.status === 'failed' && r.error !== null ? r.error : formatCounts(r.counts)}</td>
</tr>`,
  );
  const pager =
    list.pages <= 1
      ? ''
      : html`<nav class="pages" aria-label="Pages of runs">
${list.page > 1 ? html`<a href="${runsHref(filter, list.page - 1)}" rel="prev">Newer runs</a>` : ''}
<span>Page ${list.page} of ${list.pages}</span>
${list.page < list.pages ? html`<a href="${runsHref(filter, list.page + 1)}" rel="next">Older runs</a>` : ''}
</nav>`;
  return html`<table>
<caption>Runs, newest first: ${first}–${last} of ${list.total}</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Job</th><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col" class="num">Tries</th><th scope="col">Recorded (UTC)</th><th scope="col" class="num">Took</th><th scope="col">Counts or error</th></tr></thead>
<tbody>${rows}</tbody>
</table>
${pager}`;
}

function runBody(run: RunView): SafeHtml {
  const counts = orderedCounts(run.counts);
  return html`<dl class="settings">
<dt>Job</dt><dd>${run.kind}</dd>
<dt>Tenant</dt><dd>${run.tenant === null ? html`<span class="muted">none (a fleet-wide job)</span>` : html`<a href="/tenants/${encodeURIComponent(run.tenant)}">${run.tenant}</a>`}</dd>
<dt>Status</dt><dd>${statusBadge(run.status)}</dd>
<dt>Attempts</dt><dd>${run.attempts}</dd>
<dt>Scheduled for</dt><dd>${formatInstant(run.scheduled_for)}</dd>
<dt>Recorded</dt><dd>${formatInstant(run.created_at)}</dd>
<dt>Started</dt><dd>${run.started_at === null ? html`<span class="muted">not yet</span>` : formatInstant(run.started_at)}</dd>
<dt>Finished</dt><dd>${run.finished_at === null ? html`<span class="muted">not yet</span>` : formatInstant(run.finished_at)}</dd>
<dt>Duration</dt><dd>${run.duration_ms === null ? html`<span class="muted">unknown until it ends</span>` : formatDuration(run.duration_ms)}</dd>
</dl>
<h2>Counts</h2>
${counts.length === 0
  ? html`<p class="muted">The run reported no counts.</p>`
  : html`<table>
<caption>What the run reported</caption>
<thead><tr><th scope="col">Count</th><th scope="col" class="num">Value</th></tr></thead>
<tbody>${counts.map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="num">${v}</td></tr>`)}</tbody>
</table>`}
<h2>Error</h2>
${run.error === null ? html`<p class="muted">None.</p>` : html`<pre class="run-error">${run.error}</pre>`}
<p><a href="${runsHref({ ...(run.tenant === null ? {} : { tenant: run.tenant }), kind: run.kind }, 1)}">Other runs of ${run.kind}${run.tenant === null ? '' : ` for ${run.tenant}`}</a></p>`;
}

/** An empty filter value means "any". */
const orAny = <T extends z.ZodType>(schema: T) => z.union([z.literal('').transform(() => undefined), schema]).optional();

export function registerRunsPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const kinds = ctx.app.registry.names;

  r.get(
    '/runs',
    {
      schema: {
        querystring: z.object({
          tenant: orAny(z.string().max(100)),
          kind: orAny(z.enum(kinds)),
          status: orAny(z.enum(JOB_RUN_STATUSES)),
          page: PageNumber.default(1),
        }),
      },
    },
    async (req, reply) => {
      const person = personOf(req);
      const filter: RunFilter = { tenant: req.query.tenant, kind: req.query.kind, status: req.query.status };
      const list = await listRunsView(ctx.db, person.tenants, { ...filter, page: req.query.page });
      const tenants = await visibleTenantNames(ctx.db, person.tenants);
      const body = html`<form method="get" action="/runs" class="filters" role="search" aria-label="Filter runs">
${select('f-tenant', 'Tenant', tenants, filter.tenant)}
${select('f-kind', 'Job', [...kinds].sort(), filter.kind)}
${select('f-status', 'Status', JOB_RUN_STATUSES, filter.status)}
<button type="submit">Filter</button>
</form>
${runsTable(list, filter)}`;
      return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: 'Runs', body }));
    },
  );

  r.get('/runs/:id', { schema: { params: RunParams } }, async (req, reply) => {
    const run = visibleRun(req, await findRunView(ctx.db, req.params.id));
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: `Run #${run.id}: ${run.kind}`, body: runBody(run) }));
  });
}
