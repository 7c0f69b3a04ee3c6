/**
 * The frame of every page: a skip link, the site header (navigation, who is
 * signed in, the sign-out form), one `main` landmark, and the title. Pages
 * give their body as {@link SafeHtml}; nothing here takes raw text.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasRole } from '../access.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import type { Problem } from '../problem.js';

export interface PageInput {
  title: string;
  body: SafeHtml;
  /** A line shown above the body, e.g. "Suppressed until …". */
  notice?: string | undefined;
}

/** The hidden CSRF field every form carries. */
export function csrfField(req: FastifyRequest, reply: FastifyReply): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${req.csrfToken(reply)}">`;
}

export function renderPage(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, input: PageInput): string {
  const person = req.principal?.person;
  const nav =
    person === undefined
      ? html``
      : html`<nav aria-label="Main"><ul>
  <li><a href="/tenants">Tenants</a></li>
  <li><a href="/findings">Findings</a></li>
  <li><a href="/runs">Runs</a></li>
  <li><a href="/erasures">Erasures</a></li>
  <li><a href="/secrets">Secrets</a></li>
  <li><a href="/data">Data</a></li>
  <li><a href="/reviews">Reviews</a></li>
  ${hasRole(person, ['compliance', 'admin']) ? html`<li><a href="/approvals">Approvals</a></li>` : ''}
  ${ctx.app.transport !== undefined && hasRole(person, ['admin', 'engineer']) ? html`<li><a href="/admin/queues">Queues</a></li>` : ''}
</ul></nav>
<div class="who"><span>${person.name || person.email} (${person.roles.join(', ')})</span>
<form method="post" action="/sign-out" class="inline">${csrfField(req, reply)}<button type="submit">Sign out</button></form></div>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · Warden</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><a href="/"><strong>Warden</strong></a>${nav}</header>
<main id="main">
<h1>${input.title}</h1>
${input.notice === undefined ? '' : html`<p class="notice" role="status">${input.notice}</p>`}
${input.body}
</main>
</body>
</html>
`.value;
}

/** The page of an error: its title, its detail, and a way on. */
export function errorPage(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, p: Problem): string {
  const body = html`<p class="error" role="alert">${p.detail}</p>
<p>${req.principal === undefined ? html`<a href="/sign-in">Sign in</a>` : html`<a href="/">Back to the start</a>`}</p>`;
  return renderPage(ctx, req, reply, { title: p.title, body });
}
