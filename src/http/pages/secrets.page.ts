/**
 * The secrets pages (docs/architecture.md "Secrets on the web"):
 *
 * - `/secrets` (`?tenant=`): every secret the person may see, by tenant: its
 *   kind, age, next rotation, the rotation under way (state, since when,
 *   what it waits for, tries) and its live versions (created, first and last
 *   seen), then the tenant's latest webhook deliveries (accepted by which
 *   version, or refused and why). Admins and engineers get "Rotate",
 *   "Emergency rotate" (confirmed: no overlap) and, before `finish`, "Roll
 *   back"; admins "Email me a link to the value".
 * - `/secrets/rotations/:id`: one rotation with its journal.
 * - `/secrets/retrieve/:token`: the one-time retrieval link an admin was
 *   emailed. GET shows what it opens and a button, never the value (mail
 *   scanners follow links); the button's POST spends the link and shows the
 *   value, once, in a page no cache keeps and no Referer carries. A link that
 *   is used, expired, unknown or someone else's gets one answer, which says
 *   nothing of which.
 *
 * The read models and actions are src/app/secrets.ts's, as the API and the
 * CLI use them: this file only renders and redirects.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantNames } from '../../app/findings-view.js';
import { personActor } from '../../app/people.js';
import {
  emailRetrievalLink,
  retrievalLinkState,
  retrieveSecret,
  rollbackSecret,
  rotateSecret,
  rotationDetail,
  secretsStatus,
  webhookDeliveries,
  type DeliveryView,
  type RotationView,
  type SecretStatus,
} from '../../app/secrets.js';
import { PENDING_STATES } from '../../db/secret-rotations.repository.js';
import { InputError } from '../../errors.js';
import { hasRole, visibleTenants } from '../access.js';
import { emptyAsNone } from '../api/erasures.api.js';
import { RotationParams, SecretParams, secretDeps } from '../api/secrets.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { personOf } from '../person.js';
import { formatInstant } from './format.js';
import { csrfField, renderPage } from './layout.js';

/** Who rotates and rolls back (the access table says the same: src/http/access.ts `ROTATE`). */
const ROTATORS = ['admin', 'engineer'] as const;
/** Deliveries listed for each tenant. */
const DELIVERIES_SHOWN = 20;

const STATE_TEXT: Readonly<Record<RotationView['state'], string>> = {
  create: 'creating the new value',
  set: 'setting it',
  test: 'testing it',
  finish: 'finishing',
  overlap: 'in its overlap',
  done: 'done',
  rolled_back: 'rolled back',
};

const REFUSAL_TEXT: Readonly<Record<NonNullable<DeliveryView['reason']>, string>> = {
  'missing-signature': 'no signature header',
  'bad-signature': 'the signature does not verify',
  replayed: 'a replay of an accepted delivery',
  'no-secret': 'no webhook secret held to verify it',
};

function rotationPath(id: number): string {
  return `/secrets/rotations/${id}`;
}

function secretsHref(tenant: string): string {
  return `/secrets?${new URLSearchParams({ tenant }).toString()}`;
}

function send(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page);
}

/** The retrieval pages hold a token (and one of them a value): no cache keeps them, no other site learns the URL from a Referer. */
function private_(reply: FastifyReply): FastifyReply {
  return reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store').type('text/html; charset=utf-8');
}

function when(iso: string | null, none = 'not yet'): SafeHtml {
  if (iso === null) return html`<span class="muted">${none}</span>`;
  return html`<time datetime="${iso}">${formatInstant(iso)}</time>`;
}

function stateBadge(state: RotationView['state']): SafeHtml {
  return html`<span class="status status-${state}">${state.replace('_', ' ')}</span>`;
}

function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}

// The list

const DONE = {
  'link-sent': 'A one-time link to the value is on its way to your email address. It opens once, within an hour, for you only.',
} as const;

const ListQuerySchema = z.object({
  tenant: z.string().max(100).optional(),
  done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional(),
});

function filterForm(visible: readonly string[], chosen: string | undefined): SafeHtml {
  return html`<form method="get" action="/secrets" class="filters" aria-label="Filter secrets">
<div><label for="f-tenant">Tenant</label><select id="f-tenant" name="tenant"><option value=""${chosen === undefined ? html` selected` : ''}>All tenants</option>${visible.map((t) => html`<option value="${t}"${t === chosen ? html` selected` : ''}>${t}</option>`)}</select></div>
<div><button type="submit">Show</button></div>
</form>`;
}

/** The rotation under way, in a few facts. */
function rotationFacts(r: RotationView, idBase: string): SafeHtml {
  return html`<dl class="facts" id="${idBase}-rotation">
<dt>Rotation</dt><dd><a href="${rotationPath(r.id)}">#${r.id}</a>: ${stateBadge(r.state)} <span class="muted">(${STATE_TEXT[r.state]})</span>${r.emergency ? html` <strong class="overdue">emergency</strong>` : ''}</dd>
<dt>Since</dt><dd>${when(r.state_at)} <span class="muted">(started ${when(r.started_at)} by ${r.requested_by}, ${r.reason})</span></dd>
<dt>Waiting for</dt><dd>${r.waiting_for ?? html`<span class="muted">nothing: its run moves it on</span>`}</dd>
<dt>Tries</dt><dd>${r.tries}</dd>
${r.retire_at === null ? '' : html`<dt>Previous retired</dt><dd>${when(r.retire_at)}</dd>`}
</dl>`;
}

function versionsTable(s: SecretStatus, idBase: string): SafeHtml {
  if (s.versions.length === 0) return html`<p class="muted">No live version.</p>`;
  return html`<table id="${idBase}-versions"><caption>Live versions of ${s.name}</caption>
<thead><tr><th scope="col">Version</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">First seen in use</th><th scope="col">Last seen in use</th></tr></thead>
<tbody>${s.versions.map((v) => html`<tr><th scope="row" class="num">${v.id}</th><td>${v.label}</td><td>${when(v.created_at)}</td><td>${when(v.first_seen_at, 'never')}</td><td>${when(v.last_seen_at, 'never')}</td></tr>`)}</tbody>
</table>`;
}

function secretAction(s: SecretStatus, name: 'rotate' | 'rollback' | 'retrieval-link'): string {
  return `/secrets/${encodeURIComponent(s.tenant)}/${encodeURIComponent(s.name)}/${name}`;
}

/** The forms the person's roles and the secret's state allow. */
function secretForms(req: FastifyRequest, reply: FastifyReply, s: SecretStatus, idBase: string): SafeHtml {
  const person = personOf(req);
  const forms: SafeHtml[] = [];
  const rotation = s.rotation;
  if (hasRole(person, ROTATORS)) {
    if (rotation === null) {
      forms.push(html`<form method="post" action="${secretAction(s, 'rotate')}" class="stacked" aria-label="Rotate ${s.name}">
${csrfField(req, reply)}
<p class="muted">A new value, set and tested; it is made current once it is seen working, and the old one stays accepted for ${s.overlap_hours} hours more.</p>
<div><button type="submit">Rotate</button></div>
</form>`);
      forms.push(html`<form method="post" action="${secretAction(s, 'rotate')}" class="stacked" aria-label="Emergency rotate ${s.name}">
${csrfField(req, reply)}<input type="hidden" name="emergency" value="yes">
<p class="muted">For a suspected leak: the old value is retired the moment the new one is proven, with no overlap. Anything still using it is refused from then on.</p>
<div><input type="checkbox" id="${idBase}-confirm" name="confirm" value="yes" required> <label for="${idBase}-confirm" class="inline">I understand: the old value is retired the moment the new one is proven</label></div>
<div><button type="submit" class="secondary">Emergency rotate</button></div>
</form>`);
    } else if (PENDING_STATES.includes(rotation.state)) {
      forms.push(html`<form method="post" action="${secretAction(s, 'rollback')}" class="stacked" aria-label="Roll back the rotation of ${s.name}">
${csrfField(req, reply)}
<p class="muted">Before it finishes, a rotation can be undone: the current version stays current and the new one is retired.</p>
<div><button type="submit" class="secondary">Roll back</button></div>
</form>`);
    } else {
      forms.push(html`<p class="muted">The rotation has finished; the previous version is retired ${when(rotation.retire_at, 'at the end of the overlap')}. Rotate again once it is done.</p>`);
    }
  } else {
    forms.push(html`<p class="muted">Rotating and rolling back need the admin or engineer role.</p>`);
  }
  if (hasRole(person, ['admin'])) {
    const label = s.versions.some((v) => v.label === 'pending') ? 'pending' : 'current';
    forms.push(html`<form method="post" action="${secretAction(s, 'retrieval-link')}" class="stacked" aria-label="Email me a link to the value of ${s.name}">
${csrfField(req, reply)}
<p class="muted">A link to the ${label} value, sent to your address: it opens once, within an hour, for you only, and reading it is written to the audit log.</p>
<div><button type="submit" class="secondary">Email me a link to the value</button></div>
</form>`);
  }
  return html`<div class="grid">${forms}</div>`;
}

function secretCard(req: FastifyRequest, reply: FastifyReply, s: SecretStatus, idBase: string, now: Date): SafeHtml {
  const due = s.rotation === null && s.next_rotation_at !== null && Date.parse(s.next_rotation_at) <= now.getTime();
  return html`<article class="card secret" id="${idBase}" aria-labelledby="${idBase}-h">
<h3 id="${idBase}-h">${s.name}</h3>
<dl class="facts">
<dt>Kind</dt><dd>${s.kind}</dd>
<dt>Age</dt><dd id="${idBase}-age">${s.age_days === null ? html`<span class="muted">no current version</span>` : html`${days(s.age_days)} <span class="muted">(current since ${when(s.current_since)})</span>`}</dd>
<dt>Next rotation</dt><dd id="${idBase}-next">${when(s.next_rotation_at, 'none')}${due ? html` <strong class="overdue">due</strong> <span class="muted">(the daily secret-rotation job starts it)</span>` : ''}</dd>
<dt>Policy</dt><dd>every ${days(s.rotate_every_days)}; the previous version accepted ${s.overlap_hours} hours after a rotation</dd>
${s.rotation === null ? html`<dt>Rotation</dt><dd><span class="muted">none under way</span></dd>` : ''}
</dl>
${s.rotation === null ? '' : rotationFacts(s.rotation, idBase)}
${versionsTable(s, idBase)}
${secretForms(req, reply, s, idBase)}
</article>`;
}

function deliveriesTable(ctx: WebContext, tenant: string, deliveries: readonly DeliveryView[], idBase: string): SafeHtml {
  const receiver = `${ctx.publicUrl()}/webhooks/omneo/${encodeURIComponent(tenant)}`;
  const rows =
    deliveries.length === 0
      ? html`<tr><td colspan="4">No delivery received yet.</td></tr>`
      : deliveries.map(
          (d) => html`<tr><td>${when(d.received_at)}</td><td>${d.accepted
            ? html`<span class="passed">accepted</span> by the ${d.label ?? 'unknown'} version`
            : html`<span class="overdue">refused</span>: ${d.reason === null ? 'no reason recorded' : REFUSAL_TEXT[d.reason]}`}</td><td class="num">${d.version ?? ''}</td><td class="num">${d.bytes}</td></tr>`,
        );
  return html`<h3 id="${idBase}-deliveries-h">Webhook deliveries</h3>
<p class="muted">The platform delivers to <code>${receiver}</code>. Each delivery is verified against the current, pending and previous versions; this is how a rotation sees the new secret at work.</p>
<table id="${idBase}-deliveries" aria-labelledby="${idBase}-deliveries-h"><caption>The latest ${DELIVERIES_SHOWN} deliveries, newest first</caption>
<thead><tr><th scope="col">Received</th><th scope="col">Outcome</th><th scope="col" class="num">Version</th><th scope="col" class="num">Bytes</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

// One rotation

function rotationBody(req: FastifyRequest, reply: FastifyReply, d: Awaited<ReturnType<typeof rotationDetail>>): SafeHtml {
  const r = d.rotation;
  const rollback =
    PENDING_STATES.includes(r.state) && hasRole(personOf(req), ROTATORS)
      ? html`<form method="post" action="/secrets/${encodeURIComponent(r.tenant)}/${encodeURIComponent(r.secret)}/rollback" class="card stacked" aria-label="Roll back this rotation">
${csrfField(req, reply)}
<p class="muted">Before it finishes, a rotation can be undone: the current version stays current and the new one is retired.</p>
<div><button type="submit" class="secondary">Roll back</button></div>
</form>`
      : '';
  return html`<p><a href="${secretsHref(r.tenant)}">All secrets of ${r.tenant}</a></p>
<dl class="facts">
<dt>Tenant</dt><dd>${r.tenant}</dd>
<dt>Secret</dt><dd>${r.secret}</dd>
<dt>State</dt><dd id="rotation-state">${stateBadge(r.state)} <span class="muted">(${STATE_TEXT[r.state]})</span></dd>
<dt>Why</dt><dd>${r.reason}${r.emergency ? html` <strong class="overdue">emergency</strong>: the old value is retired the moment the new one is proven` : ''}</dd>
<dt>Requested by</dt><dd>${r.requested_by}</dd>
<dt>Started</dt><dd>${when(r.started_at)}</dd>
<dt>In this state since</dt><dd>${when(r.state_at)}</dd>
<dt>Waiting for</dt><dd id="rotation-waiting">${r.waiting_for ?? html`<span class="muted">nothing</span>`}</dd>
<dt>Tries</dt><dd>${r.tries}</dd>
<dt>Finished</dt><dd>${when(r.finished_at)}</dd>
<dt>Previous retired</dt><dd>${when(r.retire_at, r.ended_at === null ? 'not yet' : 'not applicable')}</dd>
<dt>Ended</dt><dd>${when(r.ended_at)}</dd>
</dl>
${rollback}
<h2 id="journal-h">Journal</h2>
<table id="journal" aria-labelledby="journal-h"><caption>Every step of this rotation, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Who</th><th scope="col">Details</th></tr></thead>
<tbody>${d.events.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.event.replace(/_/g, ' ')}</td><td>${e.actor}</td><td>${Object.keys(e.detail).length === 0 ? '' : html`<code>${JSON.stringify(e.detail)}</code>`}</td></tr>`)}</tbody>
</table>`;
}

const ROTATION_DONE = {
  started: 'Rotation started: its run creates the new value, then sets, tests and finishes it. This page shows each step.',
  emergency: 'Emergency rotation started: the old value is retired the moment the new one is proven, with no overlap.',
  'rolled-back': 'Rolled back: the current version stays current, and the new one is retired.',
} as const;

// Retrieval

/** The one answer for a link that opens nothing, whatever the reason: used, expired, unknown or someone else's. */
function linkRefused(ctx: WebContext, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = html`<p class="error" role="alert" id="link-refused">This link opens nothing. A link to a secret works once, within an hour of being sent, and only for the admin it was sent to.</p>
<p><a href="/secrets">Ask for a new one on the secrets page</a></p>`;
  return private_(reply).code(404).send(renderPage(ctx, req, reply, { title: 'Link not valid', body }));
}

// Forms

const FormSchema = z.object({ _csrf: z.string().optional() });
const RotateFormSchema = FormSchema.extend({ emergency: z.string().max(10).optional(), confirm: z.string().max(10).optional() });
const RetrieveParams = z.object({ token: z.string().min(1).max(200) });

export function registerSecretsPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();

  r.get('/secrets', { schema: { querystring: ListQuerySchema } }, async (req, reply) => {
    const person = personOf(req);
    const deps = secretDeps(ctx);
    const now = ctx.now();
    const tenant = emptyAsNone(req.query.tenant);
    const secrets = await secretsStatus(deps, tenant, person);
    const tenants = tenant !== undefined ? [tenant] : [...new Set(secrets.map((s) => s.tenant))].sort();
    const visible = visibleTenants(person, await tenantNames(ctx.db));
    const sections: SafeHtml[] = [];
    for (const [t, name] of tenants.entries()) {
      const mine = secrets.filter((s) => s.tenant === name);
      const deliveries = await webhookDeliveries(deps, name, person, DELIVERIES_SHOWN);
      const base = `t${t}`;
      sections.push(html`<section aria-labelledby="${base}-h">
<h2 id="${base}-h">${name}</h2>
${mine.length === 0
  ? html`<p class="muted">Warden holds no secret of ${name}. Import one with <code>warden secrets add NAME --tenant ${name} --kind KIND --value-env VAR</code>.</p>`
  : mine.map((s, i) => secretCard(req, reply, s, `${base}-s${i}`, now))}
${deliveriesTable(ctx, name, deliveries, base)}
</section>`);
    }
    const body = html`<p>Shared secrets and tokens Warden holds and rotates: their age, their next rotation by policy, and any rotation under way. Values are never shown here.</p>
${filterForm(visible, tenant)}
${sections.length === 0 ? html`<p class="muted" id="no-secrets">No secret is held for the tenants you may see.</p>` : sections}`;
    reply.header('cache-control', 'no-store');
    const notice = req.query.done === undefined ? undefined : DONE[req.query.done];
    return send(reply, renderPage(ctx, req, reply, { title: tenant === undefined ? 'Secrets' : `Secrets of ${tenant}`, body, notice }));
  });

  r.get('/secrets/rotations/:id', { schema: { params: RotationParams, querystring: z.object({ done: z.enum(Object.keys(ROTATION_DONE) as [keyof typeof ROTATION_DONE]).optional() }) } }, async (req, reply) => {
    const detail = await rotationDetail(secretDeps(ctx), req.params.id, personOf(req));
    reply.header('cache-control', 'no-store');
    const notice = req.query.done === undefined ? undefined : ROTATION_DONE[req.query.done];
    const title = `Rotation #${detail.rotation.id} of ${detail.rotation.secret}`;
    return send(reply, renderPage(ctx, req, reply, { title, body: rotationBody(req, reply, detail), notice }));
  });

  r.post('/secrets/:tenant/:name/rotate', { schema: { params: SecretParams, body: RotateFormSchema } }, async (req, reply) => {
    const person = personOf(req);
    const emergency = req.body.emergency === 'yes';
    // The form's checkbox, checked here too: a browser without `required` must not start one by a slip.
    if (emergency && req.body.confirm !== 'yes') throw new InputError('confirm', 'tick the box to confirm: an emergency rotation retires the old value the moment the new one is proven');
    const started = await rotateSecret(secretDeps(ctx), { tenant: req.params.tenant, name: req.params.name, emergency }, personActor(person), person);
    return reply.redirect(`${rotationPath(started.rotation.id)}?done=${emergency ? 'emergency' : 'started'}`, 303);
  });

  r.post('/secrets/:tenant/:name/rollback', { schema: { params: SecretParams, body: FormSchema } }, async (req, reply) => {
    const person = personOf(req);
    const rotation = await rollbackSecret(secretDeps(ctx), { tenant: req.params.tenant, name: req.params.name }, personActor(person), person);
    return reply.redirect(`${rotationPath(rotation.id)}?done=rolled-back`, 303);
  });

  r.post('/secrets/:tenant/:name/retrieval-link', { schema: { params: SecretParams, body: FormSchema } }, async (req, reply) => {
    await emailRetrievalLink(secretDeps(ctx), { tenant: req.params.tenant, name: req.params.name }, personOf(req));
    return reply.redirect(`${secretsHref(req.params.tenant)}&done=link-sent`, 303);
  });

  r.get('/secrets/retrieve/:token', { schema: { params: RetrieveParams } }, async (req, reply) => {
    // Reading a link never spends it: a mail scanner may be the one reading.
    const link = await retrievalLinkState(secretDeps(ctx), req.params.token, personOf(req));
    if (link === undefined || link.state !== 'ready') return linkRefused(ctx, req, reply);
    const body = html`<p>This link opens the <strong>${link.label}</strong> value of the secret <strong>${link.secret}</strong> of ${link.tenant}, once.</p>
<form method="post" action="/secrets/retrieve/${req.params.token}" class="card stacked" aria-label="Show the value once">
${csrfField(req, reply)}
<p>Press the button to show the value. The link then stops working, and your reading it is written to the audit log. Have the place you will put it ready.</p>
<div><button type="submit">Show the value once</button></div>
</form>`;
    return private_(reply).send(renderPage(ctx, req, reply, { title: `The value of ${link.secret}`, body }));
  });

  r.post('/secrets/retrieve/:token', { schema: { params: RetrieveParams, body: FormSchema } }, async (req, reply) => {
    const person = personOf(req);
    const read = await retrieveSecret(secretDeps(ctx), req.params.token, person, personActor(person));
    if (read === undefined) return linkRefused(ctx, req, reply);
    const body = html`<p>The <strong>${read.label}</strong> value of <strong>${read.secret}</strong> of ${read.tenant} (version ${read.version}):</p>
<pre class="secret-value" id="secret-value" tabindex="0" aria-label="The secret value">${read.value}</pre>
<p class="notice" role="status">Copy it now: this page is not kept, and the link no longer works. Your reading it is in the audit log.</p>
<p><a href="${secretsHref(read.tenant)}">Back to the secrets of ${read.tenant}</a></p>`;
    return private_(reply).send(renderPage(ctx, req, reply, { title: `The value of ${read.secret}`, body }));
  });
}
