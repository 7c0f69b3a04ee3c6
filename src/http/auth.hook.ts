/**
 * The web app's one access hook and its CSRF check (docs/architecture.md "The
 * web app"). `onRequest`: who is asking (an API key in `Authorization:
 * Bearer`, else the session cookie), then the route's entry in
 * {@link ROUTE_ACCESS}: public, or a role the person holds, and a tenant they
 * may see. `preValidation` (once the body is parsed): an unsafe request
 * signed in by cookie carries the CSRF token of its form.
 */
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiKey, authenticateSession, type Principal } from '../app/sign-in.js';
import { UnknownTenantError } from '../db/errors.js';
import { hmacHex, newToken, sameDigest } from '../secrets/tokens.js';
import { canSeeTenant } from '../app/people.js';
import { accessOf, hasRole, type RouteAccess } from './access.js';
import type { WebContext } from './context.js';
import { AccessError, CsrfError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is signed in, when anyone is. */
    principal: Principal | undefined;
    /** The route's entry in the access table. */
    access: RouteAccess | undefined;
    /** The CSRF token for forms on this request's page (sets the anonymous cookie when needed). */
    csrfToken(reply: FastifyReply): string;
  }
}

export const SESSION_COOKIE = 'warden_session';
/** Binds an anonymous visitor's forms (sign-in) to their browser. */
export const ANON_COOKIE = 'warden_anon';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BEARER = /^Bearer ([A-Za-z0-9_-]{10,200})$/;

/** The person behind the request's credentials; a malformed or unknown API key is refused outright. */
async function authenticate(ctx: WebContext, req: FastifyRequest): Promise<Principal | undefined> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const key = BEARER.exec(header)?.[1];
    const principal = key === undefined ? undefined : await authenticateApiKey(ctx.db, key, { ip: req.ip, agent: req.headers['user-agent'] ?? null }, ctx.now());
    if (principal === undefined) throw new AccessError(401, 'the API key is not valid: it may have been revoked, or its person disabled');
    return principal;
  }
  const cookie = req.cookies[SESSION_COOKIE];
  return cookie === undefined || cookie === '' ? undefined : authenticateSession(ctx.db, cookie, ctx.now());
}

/** What a session's or an anonymous browser's forms are bound to. */
function csrfBinding(req: FastifyRequest): string | undefined {
  if (req.principal?.sessionId !== undefined) return `session:${req.principal.sessionId}`;
  const anon = req.cookies[ANON_COOKIE];
  return anon === undefined || anon === '' ? undefined : `anon:${anon}`;
}

function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  if (site !== undefined && site !== 'same-origin') return false;
  if (origin === undefined) return site === 'same-origin';
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function registerAccessHooks(server: FastifyInstance, ctx: WebContext, cookieOptions: { secure: boolean }): void {
  server.decorateRequest('principal', undefined);
  server.decorateRequest('access', undefined);
  server.decorateRequest('csrfToken', function (this: FastifyRequest, reply: FastifyReply): string {
    let binding = csrfBinding(this);
    if (binding === undefined) {
      const anon = (this.cookies[ANON_COOKIE] = newToken());
      reply.setCookie(ANON_COOKIE, anon, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookieOptions.secure });
      binding = `anon:${anon}`;
    }
    return hmacHex(ctx.key, 'csrf', binding);
  });

  // A route the table does not name would be open to anyone: refuse to start instead.
  server.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      if (accessOf(method, route.url) === undefined) throw new Error(`route ${method} ${route.url} has no entry in ROUTE_ACCESS (src/http/access.ts)`);
    }
  });

  server.addHook('onRequest', async (req) => {
    // An unknown URL has no declared route: the not-found handler answers it.
    if (req.is404) return;
    const access = accessOf(req.method, req.routeOptions.url ?? '');
    if (access === undefined) throw new AccessError(403, 'this route is not open to anyone');
    req.access = access;
    if (access.who === 'public') {
      if (access.credentials === 'ignored') return;
      // Credentials that do not hold leave a public page public: its visitor is simply not signed in.
      req.principal = await authenticate(ctx, req).catch((err: unknown) => {
        if (err instanceof AccessError) return undefined;
        throw err;
      });
      return;
    }
    req.principal = await authenticate(ctx, req);
    if (req.principal === undefined) throw new AccessError(401, 'sign in first');
    if (!hasRole(req.principal.person, access.who)) {
      throw new AccessError(403, `this needs the ${access.who.join(' or ')} role`);
    }
    const tenant =
      access.tenant === 'param'
        ? (req.params as Record<string, string | undefined>).tenant
        : access.tenant === 'query'
          ? (req.query as Record<string, string | undefined>).tenant
          : undefined;
    // Unknown and invisible answer alike, so tenant names cannot be probed.
    if (tenant !== undefined && tenant !== '' && !canSeeTenant(req.principal.person, tenant)) throw new UnknownTenantError(tenant);
  });

  server.addHook('preValidation', (req, _reply, done) => done(csrfRefusal(ctx, req)));
}

/** Why an unsafe request may not go on, or undefined when it may. */
function csrfRefusal(ctx: WebContext, req: FastifyRequest): CsrfError | undefined {
  if (!UNSAFE.has(req.method) || req.access === undefined || req.access.csrf === 'none') return undefined;
  // An API key is not sent by a browser on its own: no cross-site request carries one.
  if (req.principal?.apiKeyId !== undefined) return undefined;
  if (req.access.csrf === 'same-origin') return sameOrigin(req) ? undefined : new CsrfError();
  const binding = csrfBinding(req);
  const body = req.body as Record<string, unknown> | undefined;
  const given = req.headers['x-csrf-token'] ?? (typeof body?._csrf === 'string' ? body._csrf : undefined);
  const valid = binding !== undefined && typeof given === 'string' && sameDigest(given, hmacHex(ctx.key, 'csrf', binding));
  return valid ? undefined : new CsrfError();
}

/** Throws when a row's tenant is one the person may not see (routes whose `tenant` is `row`). */
export function assertCanSee(req: FastifyRequest, tenant: string | null): void {
  const person = req.principal?.person;
  if (person === undefined) throw new AccessError(401, 'sign in first');
  if (tenant !== null && !canSeeTenant(person, tenant)) throw new UnknownTenantError(tenant);
}

