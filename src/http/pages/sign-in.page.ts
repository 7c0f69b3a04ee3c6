/**
 * Signing in and out (docs/architecture.md "Signing in"): the sign-in page
 * asks for a link; the link's page shows a button and spends nothing until it
 * is pressed; the code form takes the code typed from the email. Every form
 * carries its CSRF token; each form is rate limited per client address. The
 * link is looked up and mailed after the answer, which is the same for a
 * known and an unknown address.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { previewLink, redeemCode, redeemLink, requestSignInLink, signOut, LINK_TTL_MS, type OpenedSession } from '../../app/sign-in.js';
import { parseEmail } from '../../app/people.js';
import { newToken } from '../../secrets/tokens.js';
import { SESSION_COOKIE } from '../auth.hook.js';
import type { WebContext } from '../context.js';
import { html } from '../html.js';
import { csrfField, renderPage } from './layout.js';

/** The cookie that marks the browser that asked for a link (its hash is on the link). */
export const NONCE_COOKIE = 'warden_sign_in';

export interface SignInRouteOptions {
  /** Requests per client address per minute on each sign-in form. */
  rateLimit: number;
}

const form = z.object({ _csrf: z.string().optional() });
const LINK_TOKEN = z.string().max(200);

/** Only a path on this site: `next` never sends anyone elsewhere. */
function safeNext(next: string | undefined): string {
  // Printable ASCII only: anything else cannot go in a Location header as it is.
  return next !== undefined && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

/** A nonce as {@link newToken} makes it. */
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/** Work started by a request and finished after its answer; the server's close waits for it. */
class Pending {
  readonly #running = new Set<Promise<void>>();
  run(work: Promise<void>): void {
    this.#running.add(work);
    const done = () => void this.#running.delete(work);
    work.then(done, done);
  }
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }
}

export function registerSignIn(server: FastifyInstance, ctx: WebContext, options: SignInRouteOptions): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const pending = new Pending();
  server.addHook('onClose', () => pending.settled());
  const limited = { rateLimit: { max: options.rateLimit, timeWindow: 60_000 } };
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: ctx.secureCookies };
  const origin = (req: FastifyRequest) => ({ ip: req.ip, agent: req.headers['user-agent']?.slice(0, 300) ?? null });

  const codeForm = (req: FastifyRequest, reply: FastifyReply, next: string) => html`
<form method="post" action="/sign-in/code" class="card">
${csrfField(req, reply)}<input type="hidden" name="next" value="${next}">
<label for="code">Code from the email</label>
<p class="muted" id="code-hint">Eight letters and digits, like ABCD-EFGH. It works in this browser, where you asked for it.</p>
<input id="code" name="code" autocomplete="one-time-code" aria-describedby="code-hint" required maxlength="20">
<button type="submit">Sign in with the code</button>
</form>`;

  const opened = (reply: FastifyReply, session: OpenedSession, next: string) => {
    reply.setCookie(SESSION_COOKIE, session.token, cookie);
    reply.clearCookie(NONCE_COOKIE, { path: '/' });
    return reply.redirect(safeNext(next), 303);
  };

  r.get('/sign-in', { schema: { querystring: z.object({ next: z.string().max(2000).optional() }) } }, (req, reply) => {
    if (req.principal !== undefined) return reply.redirect(safeNext(req.query.next), 303);
    const next = safeNext(req.query.next);
    const body = html`
<form method="post" action="/sign-in" class="card">
${csrfField(req, reply)}<input type="hidden" name="next" value="${next}">
<label for="email">Email address</label>
<p class="muted" id="email-hint">We email you a link that signs you in, with a code beside it.</p>
<input id="email" name="email" type="email" autocomplete="email" aria-describedby="email-hint" required maxlength="320">
<button type="submit">Email me a sign-in link</button>
</form>
<h2>Already have a code?</h2>
${codeForm(req, reply, next)}`;
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: 'Sign in', body }));
  });

  r.post(
    '/sign-in',
    { config: limited, schema: { body: form.extend({ email: z.string().max(320), next: z.string().max(2000).optional() }) } },
    async (req, reply) => {
      const email = parseEmail(req.body.email);
      // A browser that asks again keeps its nonce, so the links of both emails open in it without a code.
      const held = req.cookies[NONCE_COOKIE];
      const nonce = held !== undefined && NONCE.test(held) ? held : newToken();
      // Not awaited: the answer is the same, and as quick, whether or not the address is known.
      pending.run(requestSignInLink(ctx.signIn(), email, nonce, origin(req), ctx.now()));
      reply.setCookie(NONCE_COOKIE, nonce, { ...cookie, maxAge: LINK_TTL_MS / 1000 });
      const body = html`
<p class="notice" role="status">If this address belongs to someone here, a sign-in link is on its way to it. It works once, for 15 minutes.</p>
<p>Open the link in this browser and press “Sign in”, or type the code from the email here:</p>
${codeForm(req, reply, safeNext(req.body.next))}`;
      return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: 'Check your email', body }));
    },
  );

  r.get('/sign-in/link', { config: limited, schema: { querystring: z.object({ token: LINK_TOKEN.default('') }) } }, async (req, reply) => {
    // Reading a link never spends it: a mail scanner may be the one reading.
    const preview = await previewLink(ctx, req.query.token, req.cookies[NONCE_COOKIE], ctx.now());
    // The page holds the token: no other site learns it from a Referer, and no cache keeps it.
    reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
    if (!preview.usable) {
      reply.code(400);
      const body = html`<p class="error" role="alert">This sign-in link is not valid: it may have expired or been used already.</p><p><a href="/sign-in">Ask for a new link</a></p>`;
      return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: 'Sign in', body }));
    }
    const body = html`
<form method="post" action="/sign-in/link" class="card">
${csrfField(req, reply)}<input type="hidden" name="token" value="${req.query.token}">
${preview.needsCode
  ? html`<p>This is not the browser where the link was asked for. Type the code from the same email to sign in here.</p>
<label for="code">Code from the email</label><input id="code" name="code" autocomplete="one-time-code" required maxlength="20">`
  : html`<p>Press the button to sign in. The link then stops working.</p>`}
<button type="submit">Sign in</button>
</form>`;
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, req, reply, { title: 'Sign in', body }));
  });

  r.post(
    '/sign-in/link',
    { config: limited, schema: { body: form.extend({ token: LINK_TOKEN, code: z.string().max(20).optional(), next: z.string().max(2000).optional() }) } },
    async (req, reply) => {
      const session = await redeemLink(ctx, { token: req.body.token, nonce: req.cookies[NONCE_COOKIE], code: req.body.code }, origin(req), ctx.now());
      return opened(reply, session, req.body.next ?? '/');
    },
  );

  r.post(
    '/sign-in/code',
    { config: limited, schema: { body: form.extend({ code: z.string().max(20), next: z.string().max(2000).optional() }) } },
    async (req, reply) => {
      const session = await redeemCode(ctx, req.cookies[NONCE_COOKIE], req.body.code, origin(req), ctx.now());
      return opened(reply, session, req.body.next ?? '/');
    },
  );

  r.post('/sign-out', { schema: { body: form.optional() } }, async (req, reply) => {
    if (req.principal !== undefined) await signOut(ctx.db, req.principal, ctx.now());
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/sign-in', 303);
  });
}
