/**
 * The tenants pages: the list of tenants a person may see (`GET /tenants`),
 * one tenant's dashboard (`GET /tenants/:tenant`: open findings by family and
 * severity, the trend of each family's audit job, the last and next run of
 * each job, pending approvals) and its settings (`GET /tenants/:tenant/settings`).
 * The data is src/app/tenants-view.ts's, as `/api/v1/tenants` serves it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  listTenantOverviews,
  tenantDashboard,
  tenantSettings,
  type FamilyTrend,
  type SeverityCounts,
  type TenantDashboard,
  type TenantOverview,
  type TenantSettings,
  type TrendPoint,
} from '../../app/tenants-view.js';
import { SEVERITIES, type RuleFamily, type Severity } from '../../rules/types.js';
import { hasRole } from '../access.js';
import { TenantParams } from '../api/tenants.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { personOf } from '../person.js';
import { formatInstant } from './format.js';
import { renderPage } from './layout.js';

const FAMILY_NAMES: Readonly<Record<RuleFamily, string>> = {
  access: 'Access',
  tokens: 'Tokens',
  network: 'Network',
  secrets: 'Secrets',
  privacy: 'Privacy',
  data: 'Data',
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `1 run`, `3 runs`. */
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The findings page, filtered (another module serves it: this only links). */
function findingsHref(filter: { tenant: string; family?: RuleFamily; severity?: Severity }): string {
  return `/findings?${new URLSearchParams(filter as Record<string, string>).toString()}`;
}

/** A count, linked to the findings it counts when there are any. */
function countCell(n: number, href: string, label: string): SafeHtml {
  return html`<td class="num">${n === 0 ? '0' : html`<a href="${href}" aria-label="${label}">${n}</a>`}</td>`;
}

function severityHeads(): SafeHtml {
  return html`${SEVERITIES.map((s) => html`<th scope="col" class="num">${capital(s)}</th>`)}`;
}

/** The approvals list, filtered to a tenant's pending ones (another module serves it: this only links). */
function pendingHref(tenant: string): string {
  return `/approvals?${new URLSearchParams({ tenant, state: 'pending' }).toString()}`;
}

/** @param reviewer - whether the person may open the approvals pages (src/http/access.ts): only then are the counts linked */
function overviewTable(tenants: readonly TenantOverview[], reviewer: boolean): SafeHtml {
  if (tenants.length === 0) {
    return html`<p class="notice">There is no tenant for you to see yet. An admin adds tenants with <code>warden tenants add</code>; who may see which is set with <code>warden people</code>.</p>`;
  }
  const rows = tenants.map(
    (t) => html`<tr>
<th scope="row"><a href="/tenants/${encodeURIComponent(t.name)}">${t.name}</a></th>
${SEVERITIES.map((s) => countCell(t.open[s], findingsHref({ tenant: t.name, severity: s }), `${plural(t.open[s], `open ${s} finding`)} of ${t.name}`))}
<td class="num">${t.open_total}</td>
<td class="num">${t.suppressed}</td>
${reviewer ? countCell(t.pending_approvals, pendingHref(t.name), `${plural(t.pending_approvals, 'pending approval')} of ${t.name}`) : html`<td class="num">${t.pending_approvals}</td>`}
<td>${t.time_zone}</td>
<td><a href="/tenants/${encodeURIComponent(t.name)}/settings" aria-label="Settings of ${t.name}">Settings</a></td>
</tr>`,
  );
  return html`<table>
<caption>Tenants you can see, with their open findings (suppressed ones counted apart)</caption>
<thead><tr><th scope="col">Tenant</th>${severityHeads()}<th scope="col" class="num">Open</th><th scope="col" class="num">Suppressed</th><th scope="col" class="num">Pending approvals</th><th scope="col">Time zone</th><th scope="col">Settings</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

function openTable(d: TenantDashboard): SafeHtml {
  const row = (label: string, counts: SeverityCounts, total: number, suppressed: number, family?: RuleFamily) => html`<tr>
<th scope="row">${family === undefined ? label : html`<a href="${findingsHref({ tenant: d.tenant, family })}">${label}</a>`}</th>
${SEVERITIES.map((s) =>
  countCell(counts[s], findingsHref({ tenant: d.tenant, ...(family === undefined ? {} : { family }), severity: s }), `${plural(counts[s], `open ${s} ${family === undefined ? '' : `${family} `}finding`)}`),
)}
<td class="num">${total}</td>
<td class="num">${suppressed}</td>
</tr>`;
  return html`<table>
<caption>Open findings by family and severity</caption>
<thead><tr><th scope="col">Family</th>${severityHeads()}<th scope="col" class="num">Total</th><th scope="col" class="num">Suppressed</th></tr></thead>
<tbody>${d.open.families.map((f) => row(FAMILY_NAMES[f.family], f.open, f.total, f.suppressed, f.family))}</tbody>
<tfoot>${row('All families', d.open.total, d.open.open_total, d.open.suppressed)}</tfoot>
</table>`;
}

function jobsTable(d: TenantDashboard): SafeHtml {
  const rows = d.jobs.map((j) => {
    const last = j.last_run;
    return html`<tr>
<th scope="row">${j.kind}</th>
<td>${j.family === null ? '' : FAMILY_NAMES[j.family]}</td>
<td>${last === null ? html`<span class="muted">never run</span>` : html`<a href="/runs/${last.id}">#${last.id}</a> <span class="status status-${last.status}">${last.status}</span>`}</td>
<td>${last === null ? '' : formatInstant(last.finished_at ?? last.created_at, d.time_zone)}</td>
<td>${j.next_fire_at === null ? html`<span class="muted">not scheduled</span>` : formatInstant(j.next_fire_at, d.time_zone)}</td>
</tr>`;
  });
  return html`<table>
<caption>The last run of each job, and its next scheduled run (times in ${d.time_zone})</caption>
<thead><tr><th scope="col">Job</th><th scope="col">Family</th><th scope="col">Last run</th><th scope="col">Finished (or recorded)</th><th scope="col">Next run</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

const BAR_WIDTH = 16;
const BAR_GAP = 4;
const CHART_HEIGHT = 48;

/** Bars of the open findings after each run; a failed run, which counted nothing, is a short mark. No inline style: classes and attributes only. */
function trendChart(trend: FamilyTrend): SafeHtml {
  const max = Math.max(1, ...trend.points.map((p) => p.findings ?? 0));
  const width = Math.max(1, trend.points.length) * (BAR_WIDTH + BAR_GAP);
  const bars = trend.points.map((p, i) => {
    const x = i * (BAR_WIDTH + BAR_GAP);
    if (p.findings === null) return html`<rect class="trend-failed" x="${x}" y="${CHART_HEIGHT - 3}" width="${BAR_WIDTH}" height="3"></rect>`;
    const h = p.findings === 0 ? 1 : Math.max(2, Math.round((p.findings / max) * (CHART_HEIGHT - 2)));
    return html`<rect class="trend-bar" x="${x}" y="${CHART_HEIGHT - h}" width="${BAR_WIDTH}" height="${h}"></rect>`;
  });
  const label = `${capital(trend.family)} findings found by each of the last ${plural(trend.points.length, 'run')}, oldest first: ${trend.points.map((p) => (p.findings === null ? 'failed' : String(p.findings))).join(', ')}`;
  return html`<svg class="trend" role="img" aria-label="${label}" width="${width}" height="${CHART_HEIGHT}" viewBox="0 0 ${width} ${CHART_HEIGHT}">${bars}</svg>`;
}

function trendRow(p: TrendPoint, timeZone: string): SafeHtml {
  const n = (v: number | null) => html`<td class="num">${v === null ? '' : v}</td>`;
  return html`<tr>
<th scope="row"><a href="/runs/${p.run_id}">${formatInstant(p.finished_at, timeZone)}</a></th>
<td><span class="status status-${p.status}">${p.status}</span></td>
${n(p.findings)}${n(p.created)}${n(p.persisting)}${n(p.resolved)}
</tr>`;
}

function trendSection(d: TenantDashboard): SafeHtml {
  return html`${d.trend.map((t) => {
    const title = `${FAMILY_NAMES[t.family]} (${t.kind})`;
    if (t.points.length === 0) return html`<h3>${title}</h3><p class="muted">No finished run yet.</p>`;
    return html`<h3>${title}</h3>
${trendChart(t)}
<details>
<summary>${t.points.length === 1 ? 'The last run' : `The last ${t.points.length} runs`} of ${t.kind}</summary>
<table>
<caption>Runs of ${t.kind}, oldest first (times in ${d.time_zone})</caption>
<thead><tr><th scope="col">Finished</th><th scope="col">Status</th><th scope="col" class="num">Found</th><th scope="col" class="num">New</th><th scope="col" class="num">Persisting</th><th scope="col" class="num">Resolved</th></tr></thead>
<tbody>${t.points.map((p) => trendRow(p, d.time_zone))}</tbody>
</table>
</details>`;
  })}`;
}

function dashboardBody(d: TenantDashboard, reviewer: boolean): SafeHtml {
  const name = encodeURIComponent(d.tenant);
  return html`<p><a href="/tenants/${name}/settings">Settings and schedules</a> · <a href="${findingsHref({ tenant: d.tenant })}">All findings</a> · <a href="/runs?tenant=${name}">Runs</a></p>
<div class="grid">
<div class="card"><p class="figure"><span class="figure-value">${d.open.open_total}</span> open findings</p></div>
<div class="card"><p class="figure"><span class="figure-value">${d.open.suppressed}</span> suppressed</p></div>
<div class="card"><p class="figure"><span class="figure-value">${d.pending_approvals}</span> pending approvals</p>${reviewer ? html`<p class="figure-link"><a href="${pendingHref(d.tenant)}" id="pending-approvals">Review the pending approvals</a></p>` : ''}</div>
</div>
<h2>Open findings</h2>
${openTable(d)}
<h2>Jobs</h2>
${jobsTable(d)}
<h2>Trend</h2>
<p class="muted">The findings each family’s audit job found in its last runs (suppressed ones included), and how many were new, persisting and resolved.</p>
${trendSection(d)}`;
}

function settingsBody(s: TenantSettings): SafeHtml {
  const tz = s.time_zone;
  return html`<p><a href="/tenants/${encodeURIComponent(s.name)}">Back to the dashboard</a></p>
<dl class="settings">
<dt>Platform host</dt><dd>${s.platform_host ?? html`<span class="muted">not a valid URL</span>`}</dd>
<dt>Token variable</dt><dd><code>${s.token_variable}</code> <span class="muted">(the token itself is never stored or shown)</span></dd>
<dt>Time zone</dt><dd>${tz}</dd>
<dt>Directory</dt><dd>${s.directory ?? html`<span class="muted">none</span>`}</dd>
<dt>Added</dt><dd>${formatInstant(s.created_at, tz)}</dd>
</dl>
<h2>Digest recipients</h2>
${s.recipients.length === 0
  ? html`<p class="muted">No recipients: no digest is sent.</p>`
  : html`<table>
<caption>Addresses per audience (the addresses are not shown here)</caption>
<thead><tr><th scope="col">Audience</th><th scope="col" class="num">Addresses</th></tr></thead>
<tbody>${s.recipients.map((r) => html`<tr><th scope="row">${r.audience}</th><td class="num">${r.count}</td></tr>`)}</tbody>
</table>`}
<h2>Policy</h2>
<table>
<caption>The thresholds the rules use for this tenant</caption>
<thead><tr><th scope="col">Setting</th><th scope="col" class="num">Value</th><th scope="col" class="num">Default</th><th scope="col">Overridden</th></tr></thead>
<tbody>${s.policy.map((p) => html`<tr><th scope="row"><code>${p.key}</code></th><td class="num">${p.value}</td><td class="num">${p.default}</td><td>${p.overridden ? 'yes' : 'no'}</td></tr>`)}</tbody>
</table>
<h2>Schedules</h2>
<table>
<caption>When each job runs for this tenant</caption>
<thead><tr><th scope="col">Job</th><th scope="col">Pattern (cron)</th><th scope="col">Time zone</th><th scope="col">Next run</th></tr></thead>
<tbody>${s.schedules.map((x) => html`<tr><th scope="row">${x.job}</th><td><code>${x.pattern}</code></td><td>${x.time_zone}</td><td>${x.next_fire_at === null ? html`<span class="muted">never</span>` : formatInstant(x.next_fire_at, x.time_zone)}</td></tr>`)}</tbody>
</table>
<p class="muted">Settings change through the command line: <code>warden tenants set ${s.name}</code>.</p>`;
}

/** Whether the signed-in person may open the approvals pages (their entries in src/http/access.ts). */
function mayReview(req: FastifyRequest): boolean {
  return hasRole(personOf(req), ['compliance', 'admin']);
}

export function registerTenantsPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const deps = { db: ctx.db, registry: ctx.app.registry };

  r.get('/tenants', async (req, reply) => {
    const tenants = await listTenantOverviews(ctx.db, personOf(req).tenants, ctx.now());
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: 'Tenants', body: overviewTable(tenants, mayReview(req)) }));
  });

  r.get('/tenants/:tenant', { schema: { params: TenantParams } }, async (req, reply) => {
    const dashboard = await tenantDashboard(deps, req.params.tenant, personOf(req).tenants, ctx.now());
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: `${dashboard.tenant}: dashboard`, body: dashboardBody(dashboard, mayReview(req)) }));
  });

  r.get('/tenants/:tenant/settings', { schema: { params: TenantParams } }, async (req, reply) => {
    const settings = await tenantSettings(deps, req.params.tenant, personOf(req).tenants);
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: `${settings.name}: settings`, body: settingsBody(settings) }));
  });
}
