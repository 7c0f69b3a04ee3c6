/**
 * The one client of the Omneo API v3 (DESIGN.md "The platform"): bearer auth,
 * `page[size]`/`page[number]` pagination streamed page by page, timeouts through
 * AbortSignal, retries with exponential backoff and jitter on 5xx, timeouts and
 * connection errors, and `429` + `Retry-After` honoured. Errors are typed and
 * never carry the token or a query string.
 *
 * Each request names its route template (`/profiles/{id}/purge`) and, apart, the
 * id that fills it. Log lines and error messages name the template only: a
 * profile id is a customer identifier, never logged (DESIGN.md principle 4).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { OmneoApiError, OmneoError, OmneoNetworkError, OmneoRateLimitError, OmneoTimeoutError, type OmneoCall } from './errors.js';
import { backoffMs, parseRetryAfter } from './retry.js';
import type {
  OmneoAudit,
  OmneoCreatedToken,
  OmneoItem,
  OmneoPage,
  OmneoProfile,
  OmneoToken,
  OmneoTokenIdentity,
  OmneoTransaction,
  OmneoUser,
} from './types.js';

export interface OmneoClientOptions {
  /** The API root, e.g. `https://api.acme.getomneo.com/api/v3`. */
  baseUrl: string;
  /** Bearer token. Kept in memory only; never logged nor put in an error. */
  token: string;
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
   * Longest `Retry-After` the client waits out; a longer one fails with
   * {@link OmneoRateLimitError} so that the caller can reschedule instead of blocking.
   * @defaultValue 60 000
   */
  maxRetryAfterMs?: number;
  /**
   * `page[size]` of list requests.
   * @defaultValue 100
   */
  pageSize?: number;
  /**
   * Pages fetched ahead while the caller consumes the current one (1 = strictly one at a time).
   * @defaultValue 4
   */
  concurrency?: number;
  /**
   * The method of the purge call: the platform's reference says `DELETE /profiles/{id}/purge`,
   * one public guide says `POST`.
   * @defaultValue 'DELETE'
   */
  purgeMethod?: 'DELETE' | 'POST';
  /** Where request and retry lines go (debug and warn); nothing when absent. */
  logger?: Logger;
  /**
   * Source of randomness for the backoff jitter, in [0, 1).
   * @defaultValue Math.random
   */
  random?: () => number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Query = Record<string, string | number | undefined>;

/** A route template with at most one `{id}` segment, e.g. `/profiles/{id}/purge`. */
type Route = string;

interface RequestSpec {
  method: Method;
  /** What logs and errors name; the concrete path is built from it and `resourceId` for the request only. */
  route: Route;
  /** The id filling the `{id}` of the route. Never logged. */
  resourceId?: string | undefined;
  query?: Query;
  body?: unknown;
  /** Safe to send again after an attempt whose fate is unknown (5xx, timeout, reset). */
  idempotent: boolean;
  /** Statuses that are answers, not errors (e.g. 404 for "not there"). */
  accept?: readonly number[];
}

interface RawAnswer {
  status: number;
  body: unknown;
}

export class OmneoClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #backoffBaseMs: number;
  readonly #backoffCapMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #pageSize: number;
  readonly #concurrency: number;
  readonly #purgeMethod: 'DELETE' | 'POST';
  readonly #logger: Logger | undefined;
  readonly #random: () => number;

  constructor(options: OmneoClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new InputError('baseUrl', 'not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError('baseUrl', 'must be an http or https URL');
    if (options.token.length === 0) throw new InputError('token', 'must not be empty');
    this.#baseUrl = url.href.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
    this.#maxRetries = nonNegative('maxRetries', options.maxRetries ?? 4);
    this.#backoffBaseMs = nonNegative('backoffBaseMs', options.backoffBaseMs ?? 250);
    this.#backoffCapMs = nonNegative('backoffCapMs', options.backoffCapMs ?? 10_000);
    this.#maxRetryAfterMs = nonNegative('maxRetryAfterMs', options.maxRetryAfterMs ?? 60_000);
    this.#pageSize = positive('pageSize', options.pageSize ?? 100);
    this.#concurrency = positive('concurrency', options.concurrency ?? 4);
    this.#purgeMethod = options.purgeMethod ?? 'DELETE';
    this.#logger = options.logger;
    this.#random = options.random ?? Math.random;
  }

  // Users

  /** Every user, one page at a time. */
  userPages(): AsyncGenerator<OmneoUser[]> {
    return this.#pages<OmneoUser>('/users');
  }

  /** A user, or `null` when there is none with that id. */
  async getUser(id: number | string): Promise<OmneoUser | null> {
    return this.#item<OmneoUser>('/users/{id}', id);
  }

  /**
   * Deletes a user. On the platform this also deletes every API token the user created.
   * @returns `true` when deleted now, `false` when it was already gone
   */
  async deleteUser(id: number | string): Promise<boolean> {
    return this.#delete('/users/{id}', id, 'DELETE');
  }

  // Tokens

  /** Every API token of the tenant (the platform answers them all at once, unpaginated). */
  async listTokens(): Promise<OmneoToken[]> {
    const call = { method: 'GET', route: '/auth/access-tokens' } as const;
    const { body } = await this.#request({ ...call, idempotent: true });
    if (!Array.isArray(body)) throw this.#shapeError(call, 'expected a JSON array');
    return body as OmneoToken[];
  }

  /** Creates an API token; the answer holds its secret `accessToken`, shown only this once. */
  async createToken(input: { name: string; scopes: string[] }): Promise<OmneoCreatedToken> {
    // Not idempotent: retrying after an unknown outcome could create a second token.
    const call = { method: 'POST', route: '/auth/api-tokens' } as const;
    const { body } = await this.#request({ ...call, body: input, idempotent: false });
    const created = body as Partial<OmneoCreatedToken> | null;
    if (typeof created?.accessToken !== 'string' || typeof created.token !== 'object') {
      throw this.#shapeError(call, 'expected {accessToken, token}');
    }
    return created as OmneoCreatedToken;
  }

  /** @returns `true` when revoked now, `false` when it was already gone */
  async deleteToken(id: string): Promise<boolean> {
    return this.#delete('/auth/api-tokens/{id}', id, 'DELETE');
  }

  /** Who the client's token is; throws {@link OmneoApiError} 401 when the platform refuses it. */
  async verify(): Promise<OmneoTokenIdentity> {
    const call = { method: 'GET', route: '/auth/verify' } as const;
    const { body } = await this.#request({ ...call, idempotent: true });
    return unwrap<OmneoTokenIdentity>(body, () => this.#shapeError(call, 'expected {data}'));
  }

  // Audits

  /** The audit trail, one page at a time. */
  auditPages(): AsyncGenerator<OmneoAudit[]> {
    return this.#pages<OmneoAudit>('/audits');
  }

  // Profiles

  /** A profile, or `null` when it does not exist (or no longer does). */
  async getProfile(id: number | string): Promise<OmneoProfile | null> {
    return this.#item<OmneoProfile>('/profiles/{id}', id);
  }

  /** Profiles matching a free-text search, one page at a time. */
  searchProfiles(search: string): AsyncGenerator<OmneoProfile[]> {
    return this.#pages<OmneoProfile>('/profiles', { search });
  }

  /** Profiles whose email is `email` (the platform compares case-insensitively), one page at a time. */
  profilesByEmail(email: string): AsyncGenerator<OmneoProfile[]> {
    return this.#pages<OmneoProfile>('/profiles', { 'filter[email]': email });
  }

  /** A profile's transactions, one page at a time; none once the profile is gone. */
  async *transactionPages(profileId: number | string): AsyncGenerator<OmneoTransaction[]> {
    try {
      yield* this.#pages<OmneoTransaction>('/profiles/{id}/transactions', {}, profileId);
    } catch (err) {
      if (err instanceof OmneoApiError && err.status === 404) return;
      throw err;
    }
  }

  /**
   * Purges a profile for good (GDPR erasure), unlike the soft `DELETE /profiles/{id}`.
   * Whether the platform completes it at once is not documented: verify afterwards.
   * @returns `true` when accepted, `false` when the profile was not found
   */
  async purgeProfile(id: number | string): Promise<boolean> {
    return this.#delete('/profiles/{id}/purge', id, this.#purgeMethod);
  }

  // Plumbing

  async #item<T>(route: Route, id: number | string): Promise<T | null> {
    const call = { method: 'GET', route, resourceId: String(id) } as const;
    const { status, body } = await this.#request({ ...call, idempotent: true, accept: [404] });
    if (status === 404) return null;
    return unwrap<T>(body, () => this.#shapeError(call, 'expected {data}'));
  }

  async #delete(route: Route, id: number | string, method: Method): Promise<boolean> {
    // Deleting twice leaves the same state, so a delete may be retried.
    const { status } = await this.#request({ method, route, resourceId: String(id), idempotent: true, accept: [404] });
    return status !== 404;
  }

  /**
   * Streams a list page by page, in order. Once the first page tells how many
   * there are, up to `concurrency` later pages are fetched ahead.
   */
  async *#pages<T>(route: Route, query: Query = {}, id?: number | string): AsyncGenerator<T[]> {
    const call = { method: 'GET', route, resourceId: id === undefined ? undefined : String(id) } as const;
    const fetchPage = async (n: number): Promise<OmneoPage<T>> => {
      const { body } = await this.#request({
        ...call,
        query: { ...query, 'page[size]': this.#pageSize, 'page[number]': n },
        idempotent: true,
      });
      const page = body as Partial<OmneoPage<T>> | null;
      if (!Array.isArray(page?.data) || typeof page.meta?.last_page !== 'number') {
        throw this.#shapeError(call, 'expected {data, links, meta}');
      }
      return page as OmneoPage<T>;
    };
    const first = await fetchPage(1);
    yield first.data;
    const last = first.meta.last_page;
    const ahead: Promise<OmneoPage<T>>[] = [];
    let next = 2;
    const fill = () => {
      while (next <= last && ahead.length < this.#concurrency) {
        const p = fetchPage(next++);
        // Handled when its turn comes; until then an early failure must not be "unhandled".
        p.catch(() => undefined);
        ahead.push(p);
      }
    };
    fill();
    while (ahead.length > 0) {
      const page = await ahead.shift()!;
      fill();
      if (page.data.length > 0) yield page.data;
    }
  }

  async #request(spec: RequestSpec): Promise<RawAnswer> {
    const url = new URL(this.#baseUrl + fill(spec.route, spec.resourceId));
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    // Logs and errors get the template, never the concrete path nor the query.
    const { method, route } = spec;
    const call: OmneoCall = { method, route, resourceId: spec.resourceId };
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let outcome: RawAnswer | OmneoError;
      let retryAfterMs: number | undefined;
      try {
        const answer = await this.#once(url, spec, call);
        outcome = answer.raw;
        retryAfterMs = answer.retryAfterMs;
      } catch (err) {
        outcome = this.#failure(err, call);
      }
      const status = outcome instanceof OmneoError ? (outcome instanceof OmneoApiError ? outcome.status : 0) : outcome.status;
      this.#logger?.debug({ method, route, status, attempt, ms: Math.round(performance.now() - started) }, 'omneo request');

      if (!(outcome instanceof OmneoError)) {
        if ((status >= 200 && status < 300) || spec.accept?.includes(status)) return outcome;
        outcome = this.#statusError(outcome, call, retryAfterMs);
      }
      const delay = this.#retryDelay(outcome, spec, attempt, retryAfterMs);
      if (delay === undefined) throw outcome;
      this.#logger?.warn({ method, route, status, attempt, delayMs: delay }, 'omneo request retried');
      await sleep(delay);
    }
  }

  /** One attempt: the answer read in full within the timeout. */
  async #once(url: URL, spec: RequestSpec, call: OmneoCall): Promise<{ raw: RawAnswer; retryAfterMs: number | undefined }> {
    const res = await fetch(url, {
      method: spec.method,
      headers: {
        authorization: `Bearer ${this.#token}`,
        accept: 'application/json',
        ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await res.text();
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // A 5xx from a proxy is often HTML; only a success must be JSON.
        if (res.ok) throw new OmneoApiError(res.status, call, [], 'answer is not JSON');
      }
    }
    return { raw: { status: res.status, body }, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), Date.now()) };
  }

  #failure(err: unknown, call: OmneoCall): OmneoError {
    if (err instanceof OmneoError) return err;
    const e = err as { name?: string; cause?: { code?: string; name?: string } };
    if (e.name === 'TimeoutError' || e.cause?.name === 'TimeoutError') return new OmneoTimeoutError(call, this.#timeoutMs);
    // Only the system code: undici's messages may quote the URL, and with it the query.
    return new OmneoNetworkError(call, e.cause?.code ?? 'connection failed');
  }

  #statusError(answer: RawAnswer, call: OmneoCall, retryAfterMs: number | undefined): OmneoApiError {
    if (answer.status === 429) return new OmneoRateLimitError(call, retryAfterMs);
    const errors = (answer.body as { errors?: unknown } | undefined)?.errors;
    const fields = answer.status === 422 && errors && typeof errors === 'object' ? Object.keys(errors) : [];
    return new OmneoApiError(answer.status, call, fields);
  }

  /** How long to wait before the next attempt, or `undefined` to give up with this error. */
  #retryDelay(err: OmneoError, spec: RequestSpec, attempt: number, retryAfterMs: number | undefined): number | undefined {
    if (attempt >= this.#maxRetries) return undefined;
    const backoff = backoffMs(attempt, this.#backoffBaseMs, this.#backoffCapMs, this.#random());
    if (err instanceof OmneoRateLimitError) {
      // A 429 was refused before it did anything, so any request may be sent again.
      if (retryAfterMs === undefined) return backoff;
      return retryAfterMs <= this.#maxRetryAfterMs ? retryAfterMs : undefined;
    }
    if (!spec.idempotent) return undefined;
    if (err instanceof OmneoApiError) return err.status >= 500 ? backoff : undefined;
    return backoff; // timeout or connection error
  }

  #shapeError(call: OmneoCall, problem: string): OmneoApiError {
    return new OmneoApiError(200, call, [], problem);
  }
}

function unwrap<T>(body: unknown, fail: () => Error): T {
  const item = body as Partial<OmneoItem<T>> | null | undefined;
  if (item === null || item === undefined || typeof item !== 'object' || item.data === undefined) throw fail();
  return item.data;
}

/**
 * The concrete path of a route: its `{id}` filled with the id as one path
 * segment, so that an id can never reach another route. Only for the request
 * itself: never log the result.
 */
function fill(route: Route, id: string | undefined): string {
  const slots = route.split('{id}').length - 1;
  if (slots !== (id === undefined ? 0 : 1)) throw new Error(`route ${route} needs ${slots} id(s)`);
  return id === undefined ? route : route.replace('{id}', encodeURIComponent(id));
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InputError(name, 'must be a positive integer');
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new InputError(name, 'must be a non-negative integer');
  return value;
}

/** Drains a page stream into one array. */
export async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) for (const item of page) all.push(item);
  return all;
}
