/**
 * Every error of the web app as one answer: RFC 9457 `application/problem+json`
 * for the API (and anything not a page), an HTML page for pages. Bad input is
 * a 4xx that names the field; nothing unexpected shows its message (a 500 says
 * only that it failed, and the log line carries the error, never the URL,
 * which may hold a sign-in token).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { SignInRefusedError } from '../app/sign-in.js';
import { ApprovalRefusedError } from '../approvals/errors.js';
import { ErasureRefusedError } from '../erasure/errors.js';
import { ReviewRefusedError } from '../reviews/errors.js';
import { InvalidTransitionError, NotFoundError, ReviewStateError, UnknownTenantError } from '../db/errors.js';
import { RotationInProgressError } from '../db/secret-versions.repository.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { RollbackIncompleteError } from '../rotation/drive-rotation.js';
import { HttpError } from '../outbound/errors.js';
import { AccessError, CsrfError } from './errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The field at fault, for bad input. */
  field?: string;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request body too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

export function problem(status: number, detail: string, field?: string): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...(field === undefined ? {} : { field }) };
}

/** The problem an error stands for; `undefined` for one nobody expected (a 500). */
export function problemOf(err: unknown): Problem | undefined {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const first = err.validation[0];
    const where = (err as FastifyError).validationContext ?? 'body';
    const path = first?.instancePath.replace(/^\//, '').replace(/\//g, '.') ?? '';
    const field = path === '' ? where : `${where}.${path}`;
    return problem(400, `${field}: ${first?.message ?? 'is not valid'}`, field);
  }
  if (err instanceof AccessError) return problem(err.status, err.message);
  if (err instanceof CsrfError) return problem(403, err.message);
  if (err instanceof UnknownTenantError) return problem(404, err.message, 'tenant');
  if (err instanceof NotFoundError) return problem(404, err.message);
  if (err instanceof SignInRefusedError) return problem(400, err.message);
  if (err instanceof InvalidTransitionError) return problem(409, err.message);
  if (err instanceof ApprovalRefusedError) return problem(err.status, err.message);
  if (err instanceof ErasureRefusedError) return problem(409, err.message);
  if (err instanceof ReviewStateError) return problem(409, err.message);
  if (err instanceof ReviewRefusedError) return problem(err.status, err.message);
  // A second rotation while one is under way: the request was fine, the secret's state refuses it.
  if (err instanceof RotationInProgressError) return problem(409, err.message, err.path);
  // Rolled back in Warden, the platform not told: the message says what is left to do by hand.
  if (err instanceof RollbackIncompleteError) return problem(409, err.message);
  if (err instanceof InputError) return problem(400, err.message, err.path);
  // A tenant's platform (or directory) called during the request did not answer: its fault, not the request's.
  // The message names the call's method and route template only (src/outbound/errors.ts), never a concrete path.
  if (err instanceof HttpError) return problem(502, `the tenant's platform did not answer as expected: ${err.message}`);
  const e = err as Partial<FastifyError>;
  if ((e.validation?.length ?? 0) > 0) return problem(400, e.message ?? 'the request is not valid', e.validationContext);
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return problem(413, 'the request body is over the 1 MB limit');
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return problem(415, 'send application/json (or a form)');
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return problem(400, 'the JSON body is empty', 'body');
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) return problem(400, 'the body is not valid JSON', 'body');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return problem(e.statusCode, e.statusCode === 429 ? 'too many requests: wait a minute and try again' : (TITLES[e.statusCode] ?? 'refused'));
  }
  return undefined;
}

/** Pages are answered with HTML (the queue dashboard's page too); the API, the webhook receiver, metrics, health checks and the dashboard's own API and files with problem+json. */
export function wantsHtml(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0]!;
  if (path.startsWith('/api/') || path.startsWith('/webhooks/') || path === '/metrics' || path === '/healthz' || path === '/readyz' || path.startsWith('/admin/queues/api/') || path.startsWith('/admin/queues/static/')) return false;
  return req.headers.accept === undefined || req.headers.accept.includes('text/html') || req.headers.accept.includes('*/*');
}

export type ErrorPage = (req: FastifyRequest, reply: FastifyReply, p: Problem) => string;

/** The server's error handler: the answer for the error, and one log line for a 500. */
export function errorHandler(log: Logger, page: ErrorPage) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    let p = problemOf(err);
    if (p === undefined) {
      log.error({ route: req.routeOptions.url, method: req.method, err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'request failed');
      p = problem(500, 'something went wrong on our side; it has been logged');
    }
    // A page that needs a session sends the browser to sign in, and back afterwards.
    if (p.status === 401 && wantsHtml(req) && req.method === 'GET') {
      return reply.redirect(`/sign-in?next=${encodeURIComponent(req.url)}`, 303);
    }
    reply.code(p.status);
    if (wantsHtml(req)) return reply.type('text/html; charset=utf-8').send(page(req, reply, p));
    return reply.type('application/problem+json').send(JSON.stringify(p));
  };
}
