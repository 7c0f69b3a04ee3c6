/**
 * The one outbound HTTP layer (docs/architecture.md, "Outbound HTTP"): every
 * call Warden makes to a platform or a directory goes through
 * {@link HttpClient.request}. It gives each attempt a timeout (answer body
 * included), retries with exponential backoff and jitter on 5xx, timeouts and
 * connection errors, honours `Retry-After` on `429` and `503`, never retries
 * `401`/`403` (they cannot succeed), and keeps the credentials, the concrete
 * path and the query string out of every error and log line. Its URL obeys the
 * outbound-URL policy (./url-policy.ts): checked when the client is built, its
 * host resolved and checked again before each attempt. Redirects are refused,
 * never followed: the token was meant for this host only, and an audit that
 * "succeeds" on another host's data is worse than one that fails.
 *
 * Each request names its route template (`/profiles/{id}/purge`) and, apart,
 * the id that fills it. Log lines and errors name the template only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { HttpError, plainErrors, type HttpCall, type HttpErrorFactory } from './errors.js';
import { backoffMs, parseRetryAfter } from './retry.js';
import { OutboundUrlError, OutboundUrlPolicy } from './url-policy.js';

/** The retry and timeout policy, shared by every client built on the layer. */
export interface HttpPolicy {
  /**
   * Time allowed for one attempt, answer body included.
   * @defaultValue 30 000
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt (5xx, timeouts, connection errors, 429).
   * @defaultValue 4
   */
  maxRetries?: number;
  /**
   * First backoff step; each retry doubles it.
   * @defaultValue 250
   */
  backoffBaseMs?: number;
  /**
   * Longest backoff between two attempts.
   * @defaultValue 10 000
   */
  backoffCapMs?: number;
  /**
   * Longest `Retry-After` the client waits out; a longer one on a `429` fails at
   * once, so that the caller can reschedule instead of blocking.
   * @defaultValue 60 000
   */
  maxRetryAfterMs?: number;
  /** Where request and retry lines go (debug and warn); nothing when absent. */
  logger?: Logger;
  /**
   * Source of randomness for the backoff jitter, in [0, 1).
   * @defaultValue Math.random
   */
  random?: () => number;
  /**
   * Which URLs and addresses may be called (./url-policy.ts); the app builds it
   * with the operator's `WARDEN_ALLOW_PRIVATE_NETWORKS`.
   * @defaultValue a policy that allows no private network
   */
  urlPolicy?: OutboundUrlPolicy;
  /**
   * A pace shared beyond this client (e.g. the fleet-wide rate of a tenant's
   * platform, src/erasure/pace.ts): `take` is awaited before every attempt,
   * retries included, and may throw to stop the request; `rateLimited` hears
   * of every `429`, with its `Retry-After` when given, before the client
   * decides whether to retry.
   * @defaultValue none: no pacing beyond the retry policy
   */
  pace?: { take(): Promise<void>; rateLimited(retryAfterMs: number | undefined): Promise<void> };
}

/** Options of {@link HttpClient}. */
export interface HttpClientOptions extends HttpPolicy {
  /** The root every route is appended to, e.g. `https://api.acme.getomneo.com/api/v3`. */
  baseUrl: string;
  /** Bearer token. Kept in memory only; never logged nor put in an error. @defaultValue none (no Authorization header) */
  token?: string | undefined;
  /** The `accept` header. @defaultValue 'application/json' */
  accept?: string;
  /** Log lines say `<logName> request` and `<logName> request retried`. @defaultValue 'http' */
  logName?: string;
  /** How errors are worded and typed. @defaultValue {@link plainErrors}('HTTP') */
  errors?: HttpErrorFactory;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type HttpQuery = Record<string, string | number | undefined>;

/** One request: what logs and errors name is its method and route template. */
export interface HttpRequest {
  method: HttpMethod;
  /** A route template with at most one `{id}` segment, e.g. `/profiles/{id}/purge`. */
  route: string;
  /** The id filling the `{id}` of the route. Never logged. */
  resourceId?: string | undefined;
  query?: HttpQuery;
  /**
   * A query string (without its `?`) sent exactly as given, instead of `query`: one whose
   * bytes are signed (a barcode token), which encoding `query` parameters could change.
   * One the URL would re-encode is refused ({@link isVerbatimQuery}). Never logged, like `query`.
   */
  rawQuery?: string;
  /**
   * How the answer's body is read: `json`, parsed (a success must be JSON); `discard`, read
   * in full within the timeout and dropped (an image), its content type in the answer.
   * @defaultValue 'json'
   */
  read?: 'json' | 'discard';
  /** Sent as JSON. */
  body?: unknown;
  /** Safe to send again after an attempt whose fate is unknown (5xx, timeout, reset). */
  idempotent: boolean;
  /** Statuses that are answers, not errors (e.g. 404 for "not there"). */
  accept?: readonly number[];
}

/** A JSON answer (`undefined` body when empty, or read with `discard`). */
export interface HttpAnswer {
  status: number;
  body: unknown;
  /** The answer's `content-type` header, when it had one. */
  contentType?: string | undefined;
}

/** An attempt's outcome before the retry decision: an answer, or no answer at all. */
type Attempt =
  | { kind: 'answer'; status: number; body: unknown; contentType?: string | undefined; retryAfterMs: number | undefined; unreadable: boolean; redirectedTo?: string }
  | { kind: 'failed'; error: HttpError };

/** Statuses that send the client elsewhere, with a `Location`. */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * The user agent of every outbound call: the platform records it with each
 * token's use, so a rotation can tell the integration's own use of a new
 * token from Warden's test of it (src/rotation/api-token.rotator.ts).
 */
export const WARDEN_USER_AGENT = 'warden';

export class HttpClient {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #accept: string;
  readonly #logName: string;
  readonly #errors: HttpErrorFactory;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #backoffBaseMs: number;
  readonly #backoffCapMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #logger: Logger | undefined;
  readonly #random: () => number;
  readonly #urlPolicy: OutboundUrlPolicy;
  readonly #pace: HttpPolicy['pace'];

  constructor(options: HttpClientOptions) {
    this.#urlPolicy = options.urlPolicy ?? new OutboundUrlPolicy();
    const url = this.#urlPolicy.parse(options.baseUrl, 'baseUrl');
    if (options.token !== undefined && options.token.length === 0) throw new InputError('token', 'must not be empty');
    this.#baseUrl = url.href.replace(/\/+$/, '');
    this.#token = options.token;
    this.#accept = options.accept ?? 'application/json';
    this.#logName = options.logName ?? 'http';
    this.#errors = options.errors ?? plainErrors('HTTP');
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
    this.#maxRetries = nonNegative('maxRetries', options.maxRetries ?? 4);
    this.#backoffBaseMs = nonNegative('backoffBaseMs', options.backoffBaseMs ?? 250);
    this.#backoffCapMs = nonNegative('backoffCapMs', options.backoffCapMs ?? 10_000);
    this.#maxRetryAfterMs = nonNegative('maxRetryAfterMs', options.maxRetryAfterMs ?? 60_000);
    this.#logger = options.logger;
    this.#random = options.random ?? Math.random;
    this.#pace = options.pace;
  }

  /**
   * Sends the request, retrying as the policy allows.
   * @returns the answer when its status is 2xx or in `accept`
   * @throws the factory's status, timeout or network error (see ./errors.ts) otherwise
   */
  async request(spec: HttpRequest): Promise<HttpAnswer> {
    const url = new URL(this.#baseUrl + fill(spec.route, spec.resourceId));
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    if (spec.rawQuery !== undefined) {
      if (spec.query !== undefined) throw new Error('a request takes query or rawQuery, not both');
      // The value is not quoted: a signed query carries its token.
      if (!isVerbatimQuery(spec.rawQuery)) throw new InputError('query', 'holds characters a URL would percent-encode (a space, a quote, #, <, > or a control character): encode them before signing');
      url.search = spec.rawQuery;
    }
    // Logs and errors get the template, never the concrete path nor the query.
    const { method, route } = spec;
    const call: HttpCall = { method, route, resourceId: spec.resourceId };
    for (let attempt = 0; ; attempt++) {
      await this.#pace?.take();
      const started = performance.now();
      const outcome = await this.#once(url, spec, call);
      const status = outcome.kind === 'answer' ? outcome.status : 0;
      // `retry` (0 on the first try), not `attempt`: a run's logger already binds the run's attempt.
      this.#logger?.debug({ method, route, status, retry: attempt, ms: Math.round(performance.now() - started) }, `${this.#logName} request`);

      if (outcome.kind === 'answer') {
        const accepted = (status >= 200 && status < 300) || spec.accept?.includes(status);
        // Only a success must be JSON: a 5xx from a proxy is often HTML.
        if (accepted && outcome.unreadable) throw this.#errors.status(call, status, { problem: 'answer is not JSON', fields: [] });
        if (accepted) return { status, body: outcome.body, contentType: outcome.contentType };
        if (status === 429) await this.#pace?.rateLimited(outcome.retryAfterMs);
      }
      const delay = this.#retryDelay(outcome, spec, attempt);
      if (delay === undefined) throw this.#finalError(outcome, call);
      this.#logger?.warn({ method, route, status, retry: attempt, delayMs: delay }, `${this.#logName} request retried`);
      await sleep(delay);
    }
  }

  /**
   * One attempt: the answer read in full within the timeout, or why there was none.
   * @throws {@link OutboundUrlError} when the host now resolves to an address the policy refuses
   */
  async #once(url: URL, spec: HttpRequest, call: HttpCall): Promise<Attempt> {
    try {
      // Before every attempt: a name's addresses can change between two of them.
      await this.#urlPolicy.checkHost(url, 'baseUrl');
    } catch (err) {
      if (err instanceof OutboundUrlError) throw err;
      return { kind: 'failed', error: this.#errors.network(call, (err as NodeJS.ErrnoException).code ?? 'lookup failed') };
    }
    try {
      const res = await fetch(url, {
        method: spec.method,
        headers: {
          ...(this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` }),
          accept: this.#accept,
          'user-agent': WARDEN_USER_AGENT,
          ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
        // Node's fetch hands back the 3xx itself, Location readable, and sends nothing further.
        redirect: 'manual',
      });
      if (REDIRECTS.has(res.status)) {
        await res.body?.cancel();
        return { kind: 'answer', status: res.status, body: undefined, unreadable: false, retryAfterMs: undefined, redirectedTo: originOf(res.headers.get('location'), url) };
      }
      const contentType = res.headers.get('content-type') ?? undefined;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      if (spec.read === 'discard') {
        // Read to its end all the same: the timeout covers the body, and the connection can be reused.
        await res.arrayBuffer();
        return { kind: 'answer', status: res.status, body: undefined, contentType, unreadable: false, retryAfterMs };
      }
      const text = await res.text();
      let body: unknown = undefined;
      let unreadable = false;
      if (text.length > 0) {
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          unreadable = true;
        }
      }
      return { kind: 'answer', status: res.status, body, contentType, unreadable, retryAfterMs };
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; name?: string } };
      if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return { kind: 'failed', error: this.#errors.timeout(call, this.#timeoutMs) };
      // Only the system code: undici's messages may quote the URL, and with it the query.
      return { kind: 'failed', error: this.#errors.network(call, e.cause?.code ?? 'connection failed') };
    }
  }

  #finalError(outcome: Attempt, call: HttpCall): HttpError {
    if (outcome.kind === 'failed') return outcome.error;
    const { status, body, retryAfterMs, redirectedTo } = outcome;
    if (redirectedTo !== undefined) return this.#errors.status(call, status, { problem: `redirect to ${redirectedTo} refused (redirects are never followed)`, fields: [] });
    if (status === 429) {
      const problem = retryAfterMs === undefined ? 'rate limited' : `rate limited, retry after ${retryAfterMs} ms`;
      return this.#errors.status(call, status, { problem, fields: [], retryAfterMs });
    }
    const errors = (body as { errors?: unknown } | undefined)?.errors;
    const fields = status === 422 && errors && typeof errors === 'object' ? Object.keys(errors) : [];
    return this.#errors.status(call, status, { fields });
  }

  /** How long to wait before the next attempt, or `undefined` to give up. */
  #retryDelay(outcome: Attempt, spec: HttpRequest, attempt: number): number | undefined {
    if (attempt >= this.#maxRetries) return undefined;
    const backoff = backoffMs(attempt, this.#backoffBaseMs, this.#backoffCapMs, this.#random());
    if (outcome.kind === 'failed') return spec.idempotent ? backoff : undefined; // timeout or connection error
    const { status, retryAfterMs } = outcome;
    if (status === 429) {
      // A 429 was refused before it did anything, so any request may be sent again.
      if (retryAfterMs === undefined) return backoff;
      return retryAfterMs <= this.#maxRetryAfterMs ? retryAfterMs : undefined;
    }
    // 401 and 403 are 4xx: refused credentials cannot succeed on a retry.
    if (status < 500 || !spec.idempotent) return undefined;
    // A 503 may say when to come back; one asking for longer than we may wait gets the backoff.
    if (status === 503 && retryAfterMs !== undefined && retryAfterMs <= this.#maxRetryAfterMs) return retryAfterMs;
    return backoff;
  }
}

/**
 * Whether a query string (without its `?`) reaches the server byte for byte:
 * the URL parser percent-encodes spaces, quotes, `<`, `>`, control and
 * non-ASCII characters in a query, and a `#` would end it. A signed query
 * that is not verbatim would arrive with a token that no longer matches.
 */
export function isVerbatimQuery(query: string): boolean {
  const url = new URL('http://host/');
  url.search = query;
  return query === '' ? url.search === '' : url.search === `?${query}`;
}

/**
 * The concrete path of a route: its `{id}` filled with the id as one path
 * segment, so that an id can never reach another route. Only for the request
 * itself: never log the result.
 */
function fill(route: string, id: string | undefined): string {
  const slots = route.split('{id}').length - 1;
  if (slots !== (id === undefined ? 0 : 1)) throw new Error(`route ${route} needs ${slots} id(s)`);
  return id === undefined ? route : route.replace('{id}', encodeURIComponent(id));
}

/** Where a redirect points, as its origin only: its path and query may carry identifiers. */
function originOf(location: string | null, base: URL): string {
  if (location === null) return 'nowhere (no Location header)';
  try {
    const target = new URL(location, base);
    // `null` for a non-http target (`data:`, `javascript:`): its scheme says enough.
    return target.origin === 'null' ? `a ${target.protocol} URL` : target.origin;
  } catch {
    return 'an unreadable Location';
  }
}

/** `value` when it is a whole number of at least 1; an InputError naming `name` otherwise. */
export function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InputError(name, 'must be a positive integer');
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new InputError(name, 'must be a non-negative integer');
  return value;
}
