/**
 * Typed errors of the outbound HTTP layer. Each names the method and the route
 * template of the call (`/profiles/{id}/purge`), never the concrete path: an id
 * in a path can be a customer identifier, which Warden never logs
 * (docs/architecture.md, "Outbound HTTP"). Nor does an error carry the query
 * string (it can hold an email or a search term) or the Authorization header.
 * So the message, `String(err)`, `JSON.stringify(err)` and pino's error
 * serializer are safe to log and to show.
 *
 * A service (the Omneo client, the SCIM client) subclasses these to word its
 * messages and name its classes; the layer builds them through an
 * {@link HttpErrorFactory} and decides retries on the outcome, not the class.
 */

/** The call that failed: its method, its route template and the id that filled the template. */
export interface HttpCall {
  method: string;
  /** The route template, e.g. `/profiles/{id}/purge`; never a concrete id nor a query string. */
  route: string;
  /** The id in the path, when the route has one. */
  resourceId?: string | undefined;
}

/** Base of every outbound error: the call that failed. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly method: string;
  /** The route template of the call, e.g. `/profiles/{id}`: what messages and logs name. */
  readonly route: string;
  readonly #resourceId: string | undefined;

  constructor(call: HttpCall, message: string) {
    super(message);
    this.method = call.method;
    this.route = call.route;
    this.#resourceId = call.resourceId;
  }

  /**
   * The id in the path of the call (a profile, user or token id), for the caller
   * to act on. A getter over a private field: not enumerable, so no serializer
   * copies it, and never in the message. Do not log it.
   */
  get resourceId(): string | undefined {
    return this.#resourceId;
  }
}

/** The server answered with a status that is not an answer the caller accepts, or with a body it cannot read. */
export class HttpStatusError extends HttpError {
  override name = 'HttpStatusError';
  /**
   * @param status - HTTP status of the answer
   * @param fields - for a `422`, the names (not the values) of the fields the server rejected
   */
  constructor(
    readonly status: number,
    call: HttpCall,
    message: string,
    readonly fields: readonly string[] = [],
  ) {
    super(call, message);
  }

  /** `401` or `403`: the server refused the credentials; no retry can succeed. */
  get refusedCredentials(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** No answer within the timeout, on the last attempt. */
export class HttpTimeoutError extends HttpError {
  override name = 'HttpTimeoutError';
  constructor(
    call: HttpCall,
    readonly timeoutMs: number,
    message: string,
  ) {
    super(call, message);
  }
}

/** The connection failed (refused, reset, DNS), on the last attempt. */
export class HttpNetworkError extends HttpError {
  override name = 'HttpNetworkError';
  /** @param code - the system error code, e.g. `ECONNREFUSED` */
  constructor(
    call: HttpCall,
    readonly code: string,
    message: string,
  ) {
    super(call, message);
  }
}

/** What went wrong with a status answer: the problem, and for a `422` the rejected field names. */
export interface StatusDetail {
  /** e.g. `answer is not JSON`, or `rate limited, retry after 120000 ms` */
  problem?: string | undefined;
  fields: readonly string[];
  /** For a `429`: how long the server asked to wait, when it said. */
  retryAfterMs?: number | undefined;
}

/** How a service words and types the layer's errors. */
export interface HttpErrorFactory {
  /** A status the caller does not accept (a `429` once retries are over included), or an unreadable body. */
  status(call: HttpCall, status: number, detail: StatusDetail): HttpStatusError;
  timeout(call: HttpCall, timeoutMs: number): HttpTimeoutError;
  network(call: HttpCall, code: string): HttpNetworkError;
}

/** The layer's own wording: `<service> GET /users/{id} answered 503`. */
export function plainErrors(service: string): HttpErrorFactory {
  const what = (call: HttpCall) => `${service} ${call.method} ${call.route}`;
  return {
    status: (call, status, { problem, fields }) =>
      new HttpStatusError(status, call, `${what(call)} answered ${status}${problem ? `: ${problem}` : ''}`, fields),
    timeout: (call, ms) => new HttpTimeoutError(call, ms, `${what(call)} did not answer within ${ms} ms`),
    network: (call, code) => new HttpNetworkError(call, code, `${what(call)} failed: ${code}`),
  };
}
