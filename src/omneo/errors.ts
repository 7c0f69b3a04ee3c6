/**
 * Errors of the Omneo client. Each names the method and the route template of
 * the call (`/profiles/{id}/purge`), never the concrete path: a profile id is a
 * customer identifier, which Warden never logs (DESIGN.md principle 4). Nor does
 * an error carry the query string (it can hold an email or a search term) or the
 * bearer token. So its message, `String(err)`, `JSON.stringify(err)` and pino's
 * error serializer are safe to log and to show.
 *
 * The id the call was about stays available to the caller as
 * {@link OmneoError.resourceId}: a getter over a private field, so it is not an
 * enumerable property and no serializer copies it. Never log it.
 */

/** The call that failed: its method, its route template and the id that filled the template. */
export interface OmneoCall {
  method: string;
  /** The route template, e.g. `/profiles/{id}/purge`; never a concrete id nor a query string. */
  route: string;
  /** The id in the path, when the route has one. */
  resourceId?: string | undefined;
}

/** Base of every client error: the call that failed. */
export class OmneoError extends Error {
  override name = 'OmneoError';
  readonly method: string;
  /** The route template of the call, e.g. `/profiles/{id}`: what messages and logs name. */
  readonly route: string;
  readonly #resourceId: string | undefined;

  constructor(call: OmneoCall, message: string) {
    super(message);
    this.method = call.method;
    this.route = call.route;
    this.#resourceId = call.resourceId;
  }

  /**
   * The id in the path of the call (a profile, user or token id), for the caller
   * to act on. Not enumerable and never in the message: do not log it.
   */
  get resourceId(): string | undefined {
    return this.#resourceId;
  }
}

/** The platform answered with an unexpected status, or with a body the client cannot read. */
export class OmneoApiError extends OmneoError {
  override name = 'OmneoApiError';
  /**
   * @param status - HTTP status of the answer
   * @param fields - for a `422`, the names (not the values) of the fields the platform rejected
   */
  constructor(
    readonly status: number,
    call: OmneoCall,
    readonly fields: readonly string[] = [],
    problem?: string,
  ) {
    super(
      call,
      `Omneo ${call.method} ${call.route} answered ${status}${problem ? `: ${problem}` : ''}${fields.length ? ` (invalid: ${fields.join(', ')})` : ''}`,
    );
  }
}

/** `429` and the client ran out of retries, or was asked to wait longer than it may. */
export class OmneoRateLimitError extends OmneoApiError {
  override name = 'OmneoRateLimitError';
  /** @param retryAfterMs - how long the platform asked to wait, when it said */
  constructor(
    call: OmneoCall,
    readonly retryAfterMs: number | undefined,
  ) {
    super(429, call, [], retryAfterMs === undefined ? 'rate limited' : `rate limited, retry after ${retryAfterMs} ms`);
  }
}

/** No answer within the timeout, on the last attempt. */
export class OmneoTimeoutError extends OmneoError {
  override name = 'OmneoTimeoutError';
  constructor(
    call: OmneoCall,
    readonly timeoutMs: number,
  ) {
    super(call, `Omneo ${call.method} ${call.route} did not answer within ${timeoutMs} ms`);
  }
}

/** The connection failed (refused, reset, DNS), on the last attempt. */
export class OmneoNetworkError extends OmneoError {
  override name = 'OmneoNetworkError';
  /** @param code - the system error code, e.g. `ECONNREFUSED` */
  constructor(
    call: OmneoCall,
    readonly code: string,
  ) {
    super(call, `Omneo ${call.method} ${call.route} failed: ${code}`);
  }
}
