/**
 * The data-records page (docs/operations.md "Data destinations and the care
 * register"): `/data?tenant=T` shows the tenant's approved data destinations,
 * its care tag and auto-tag setting, and its care register (profile id,
 * reason, added at, nothing else about the person; to compliance and admins).
 * An admin replaces either record by pasting its CSV: the form's POST without
 * `confirm` is a dry run that shows the changes and asks to confirm; with it,
 * the import. The actions are src/app/data-records.ts's, as the CLI and the
 * API use them: this file only renders and redirects. A refused file shows the
 * form again with the text as pasted and the line at fault.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  careRegisterView,
  destinationsView,
  importCareAction,
  importDestinationsAction,
  readCareImport,
  readDestinationsImport,
  type CareRegisterView,
  type DestinationsView,
} from '../../app/data-records.js';
import { tenantNames } from '../../app/findings-view.js';
import { personActor } from '../../app/people.js';
import type { Changes } from '../../db/record-import.js';
import { InputError } from '../../errors.js';
import { recordCsv } from '../../records/record-text.js';
import { hasRole, visibleTenants } from '../access.js';
import { API_FIELDS } from '../api/data-records.api.js';
import { emptyAsNone } from '../api/erasures.api.js';
import { TenantParams } from '../api/tenants.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { personOf } from '../person.js';
import { formatInstant } from './format.js';
import { csrfField, renderPage } from './layout.js';

/** The two records, as the page, its forms and its messages name them. */
const RECORDS = {
  destinations: { title: 'Approved destinations', file: 'destinations.csv', columns: 'host,note' },
  'care-register': { title: 'Care register', file: 'care.csv', columns: 'profile_id,reason' },
} as const;
type RecordName = keyof typeof RECORDS;

/** Who replaces a record (the access table says the same: src/http/access.ts `RECORD_WRITE`). */
const WRITERS = ['admin'] as const;

function dataHref(tenant: string): string {
  return `/data?${new URLSearchParams({ tenant }).toString()}`;
}

function send(reply: FastifyReply, page: string, status = 200): FastifyReply {
  // The register's reasons are not for a shared cache.
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
}

const counts = (c: { added: number; removed: number; changed: number; unchanged: number }) =>
  `${c.added} added, ${c.removed} removed, ${c.changed} changed, ${c.unchanged} unchanged`;

function tenantForm(visible: readonly string[], chosen: string | undefined): SafeHtml {
  return html`<form method="get" action="/data" class="filters" aria-label="Choose a tenant">
<div><label for="f-tenant">Tenant</label><select id="f-tenant" name="tenant">${visible.map((t) => html`<option value="${t}"${t === chosen ? html` selected` : ''}>${t}</option>`)}</select></div>
<div><button type="submit">Show</button></div>
</form>`;
}

function destinationsTable(d: DestinationsView): SafeHtml {
  if (d.destinations.length === 0) {
    return html`<p class="muted" id="no-destinations">None recorded: DAT-02 (a webhook to an unapproved host) is not checked until the tenant records its destinations.</p>`;
  }
  return html`<table id="destinations">
<caption>Hosts the tenant’s webhooks may send customer data to; *.S is any subdomain of S, not S itself</caption>
<thead><tr><th scope="col">Host</th><th scope="col">Note</th></tr></thead>
<tbody>${d.destinations.map((x) => html`<tr><th scope="row"><code>${x.host}</code></th><td>${x.note ?? ''}</td></tr>`)}</tbody>
</table>`;
}

function careSection(c: CareRegisterView): SafeHtml {
  const settings = html`<dl class="facts" id="care-settings">
<dt>Care tag</dt><dd><code>${c.tag}</code></dd>
<dt>Auto-tag</dt><dd>${c.auto_tag ? 'on: the data-handling job adds the tag to a register profile that lacks it' : 'off: a profile without the tag is a finding (CARE-01) for a person to act on'} <span class="muted">(<code>warden tenants set ${c.tenant} --auto-tag on|off</code>)</span></dd>
<dt>Profiles</dt><dd>${c.count}</dd>
</dl>`;
  if (c.profiles === null) {
    return html`${settings}<p class="muted">The register’s entries are shown to compliance and admins.</p>`;
  }
  if (c.profiles.length === 0) return html`${settings}<p class="muted" id="no-care">No profile is on the register.</p>`;
  return html`${settings}
<table id="care-register">
<caption>Profiles to be handled with care: the platform’s id and why, nothing else about the person</caption>
<thead><tr><th scope="col">Profile id</th><th scope="col">Reason</th><th scope="col">Added</th></tr></thead>
<tbody>${c.profiles.map((p) => html`<tr><th scope="row">${p.profile_id}</th><td>${p.reason ?? ''}</td><td><time datetime="${p.added_at}">${formatInstant(p.added_at)}</time></td></tr>`)}</tbody>
</table>`;
}

interface FormState {
  csv: string;
  tag?: string;
  error?: string;
}

/** The form that replaces a record: the CSV to paste (the record as it is, to start from), and for the register its tag. */
function replaceForm(req: FastifyRequest, reply: FastifyReply, tenant: string, record: RecordName, state: FormState): SafeHtml {
  const r = RECORDS[record];
  const id = `${record}-form`;
  return html`<form method="post" action="/data/${encodeURIComponent(tenant)}/${record}" class="card stacked" id="${id}" aria-labelledby="${id}-h">
<h3 id="${id}-h">Replace the ${r.title.toLowerCase()}</h3>
${csrfField(req, reply)}
${state.error === undefined ? '' : html`<p class="error" role="alert" id="${id}-error">${state.error}</p>`}
<label for="${id}-csv">CSV (<code>${r.columns}</code>, header first)</label>
<textarea id="${id}-csv" name="csv" rows="8" cols="60" spellcheck="false" autocomplete="off" aria-describedby="${id}-hint">${state.csv}</textarea>
<p class="muted" id="${id}-hint">${record === 'destinations'
    ? 'One host a line: a DNS name, or *. and a DNS name for its subdomains; no scheme, port or path.'
    : 'One profile a line: the platform’s profile id and, if you like, why. No other column: never a name or contact detail.'} The whole record is replaced. You see the changes before anything is written.</p>
${record === 'care-register' ? html`<label for="${id}-tag">Care tag</label><input id="${id}-tag" name="tag" value="${state.tag ?? ''}" maxlength="64" required>` : ''}
<div><button type="submit">Preview the changes</button></div>
</form>`;
}

function diffList<T>(changes: Changes<T>, key: (x: T) => string): SafeHtml {
  const items = [
    ...changes.added.map((x) => html`<li><span class="passed">added</span> <code>${key(x)}</code></li>`),
    ...changes.removed.map((x) => html`<li><span class="overdue">removed</span> <code>${key(x)}</code></li>`),
    ...changes.changed.map((c) => html`<li><span class="due-soon">changed</span> <code>${key(c.after)}</code></li>`),
  ];
  return html`<p id="diff-counts">${counts({ added: changes.added.length, removed: changes.removed.length, changed: changes.changed.length, unchanged: changes.unchanged })}.</p>
${items.length === 0 ? html`<p class="muted">Nothing would change.</p>` : html`<ul id="diff">${items}</ul>`}`;
}

/** The dry run's page: what the import would change, and the form that confirms it with the same text. */
function previewBody<T>(req: FastifyRequest, reply: FastifyReply, tenant: string, record: RecordName, changes: Changes<T>, key: (x: T) => string, state: FormState, tagLine: SafeHtml | string): SafeHtml {
  const r = RECORDS[record];
  return html`<p><a href="${dataHref(tenant)}">Back to the records of ${tenant}</a> (nothing is written until you confirm)</p>
${tagLine}
${diffList(changes, key)}
<form method="post" action="/data/${encodeURIComponent(tenant)}/${record}" class="card stacked" aria-label="Confirm: replace the ${r.title.toLowerCase()}">
${csrfField(req, reply)}
<input type="hidden" name="confirm" value="yes">
${state.tag === undefined ? '' : html`<input type="hidden" name="tag" value="${state.tag}">`}
<label for="confirm-csv">The CSV to import</label>
<textarea id="confirm-csv" name="csv" rows="8" cols="60" readonly>${state.csv}</textarea>
<div><button type="submit">Replace the ${r.title.toLowerCase()}</button></div>
</form>`;
}

const QuerySchema = z.object({
  tenant: z.string().max(100).optional(),
  done: z.enum(Object.keys(RECORDS) as [RecordName, ...RecordName[]]).optional(),
  added: z.coerce.number().int().min(0).optional(),
  removed: z.coerce.number().int().min(0).optional(),
  changed: z.coerce.number().int().min(0).optional(),
  unchanged: z.coerce.number().int().min(0).optional(),
});
type Query = z.infer<typeof QuerySchema>;

const FormSchema = z.object({
  _csrf: z.string().optional(),
  csv: z.string(),
  tag: z.string().max(200).optional(),
  confirm: z.literal('yes').optional(),
});

function doneNotice(q: Query): string | undefined {
  if (q.done === undefined) return undefined;
  const c = { added: q.added ?? 0, removed: q.removed ?? 0, changed: q.changed ?? 0, unchanged: q.unchanged ?? 0 };
  return `Replaced the ${RECORDS[q.done].title.toLowerCase()}: ${counts(c)}. The audit log has the counts.`;
}

export function registerDataPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();

  /** The page of a tenant's records, with the forms as given (a refused file keeps its text). */
  async function recordsPage(req: FastifyRequest, reply: FastifyReply, tenant: string, forms: Partial<Record<RecordName, FormState>> = {}, notice?: string): Promise<string> {
    const person = personOf(req);
    const destinations = await destinationsView(ctx.db, tenant, person);
    const care = await careRegisterView(ctx.db, tenant, person);
    const visible = visibleTenants(person, await tenantNames(ctx.db));
    const admin = hasRole(person, WRITERS);
    const destinationsForm = forms.destinations ?? { csv: recordCsv(['host', 'note'], destinations.destinations) };
    const careForm = forms['care-register'] ?? { csv: care.profiles === null ? '' : recordCsv(['profile_id', 'reason'], care.profiles), tag: care.tag };
    const body = html`${tenantForm(visible, tenant)}
<p>The tenant’s own records the data-handling audit (DAT-02, CARE-01, CARE-02) judges by: where its webhooks may send customer data, and which customers are to be handled with care.</p>
<section aria-labelledby="destinations-h">
<h2 id="destinations-h">${RECORDS.destinations.title}</h2>
${destinationsTable(destinations)}
${admin ? replaceForm(req, reply, tenant, 'destinations', destinationsForm) : ''}
</section>
<section aria-labelledby="care-h">
<h2 id="care-h">${RECORDS['care-register'].title}</h2>
${careSection(care)}
${admin ? replaceForm(req, reply, tenant, 'care-register', careForm) : ''}
</section>
${admin ? '' : html`<p class="muted">Replacing a record needs the admin role, or <code>warden destinations import</code> and <code>warden care import</code>.</p>`}`;
    return renderPage(ctx, req, reply, { title: `Data records of ${tenant}`, body, notice });
  }

  r.get('/data', { schema: { querystring: QuerySchema } }, async (req, reply) => {
    const tenant = emptyAsNone(req.query.tenant);
    if (tenant !== undefined) return send(reply, await recordsPage(req, reply, tenant, {}, doneNotice(req.query)));
    const visible = visibleTenants(personOf(req), await tenantNames(ctx.db));
    const body = html`<p>Each tenant’s approved data destinations and care register. Choose a tenant.</p>
${visible.length === 0 ? html`<p class="muted">There is no tenant for you to see yet.</p>` : tenantForm(visible, undefined)}`;
    return send(reply, renderPage(ctx, req, reply, { title: 'Data records', body }));
  });

  /**
   * A dry run, or with `confirm` the import, of one record; a refused file is
   * the tenant's page again, 400, the text as pasted and the line at fault.
   */
  async function replace<T>(
    req: FastifyRequest,
    reply: FastifyReply,
    tenant: string,
    record: RecordName,
    form: z.infer<typeof FormSchema>,
    run: (dryRun: boolean) => Promise<{ changes: Changes<T>; tagLine: SafeHtml | string }>,
    key: (x: T) => string,
  ): Promise<FastifyReply> {
    const state: FormState = { csv: form.csv, ...(form.tag === undefined ? {} : { tag: form.tag }) };
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run(form.confirm !== 'yes');
    } catch (err) {
      if (!(err instanceof InputError) || err.path === 'tenant') throw err;
      return send(reply, await recordsPage(req, reply, tenant, { [record]: { ...state, error: err.message } }), 400);
    }
    const { changes, tagLine } = result;
    if (form.confirm !== 'yes') {
      const title = `Preview: the ${RECORDS[record].title.toLowerCase()} of ${tenant}`;
      return send(reply, renderPage(ctx, req, reply, { title, body: previewBody(req, reply, tenant, record, changes, key, state, tagLine) }));
    }
    const done = new URLSearchParams({
      tenant,
      done: record,
      added: String(changes.added.length),
      removed: String(changes.removed.length),
      changed: String(changes.changed.length),
      unchanged: String(changes.unchanged),
    });
    return reply.redirect(`/data?${done.toString()}`, 303);
  }

  r.post('/data/:tenant/destinations', { schema: { params: TenantParams, body: FormSchema } }, async (req, reply) => {
    const person = personOf(req);
    const { tenant } = req.params;
    return replace(req, reply, tenant, 'destinations', req.body, async (dryRun) => {
      const file = readDestinationsImport({ tenant, csv: req.body.csv, source: RECORDS.destinations.file }, API_FIELDS);
      return { changes: await importDestinationsAction(ctx.db, file, { dryRun, actor: personActor(person) }, person), tagLine: '' };
    }, (d) => d.host);
  });

  r.post('/data/:tenant/care-register', { schema: { params: TenantParams, body: FormSchema } }, async (req, reply) => {
    const person = personOf(req);
    const { tenant } = req.params;
    return replace(req, reply, tenant, 'care-register', req.body, async (dryRun) => {
      const file = readCareImport({ tenant, csv: req.body.csv, source: RECORDS['care-register'].file, tag: req.body.tag }, API_FIELDS);
      const { changes, tag } = await importCareAction(ctx.db, file, { dryRun, actor: personActor(person) }, person);
      const tagLine = tag === null || tag.before === tag.after ? '' : html`<p id="tag-change">The care tag changes from <code>${tag.before}</code> to <code>${tag.after}</code>.</p>`;
      return { changes, tagLine };
    }, (e) => e.profile_id);
  });
}
