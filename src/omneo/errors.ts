/**
 * Errors of the Omneo client: the outbound layer's errors (src/outbound/errors.ts),
 * worded `Omneo GET /users/{id} answered 503`. Like them, each names the route
 * template of the call, never the concrete path, the query string or the token
 * (docs/architecture.md, "Outbound HTTP"). The id the call was about stays
 * available to the caller as `resourceId`, a non-enumerable getter: never log it.
 */
import { HttpNetworkError, HttpStatusError, HttpTimeoutError, type HttpCall, type HttpErrorFactory } from '../outbound/errors.js';

/** The call that failed: its method, its route template and the id that filled the template. */
export type OmneoCall = HttpCall;

/** Any error of the Omneo client. */
export type OmneoError = OmneoApiError | OmneoTimeoutError | OmneoNetworkError;

/** The platform answered with an unexpected status, or with a body the client cannot read. */
export class OmneoApiError extends HttpStatusError {
  override name = 'OmneoApiError';
  /**
   * @param status - HTTP status of the answer
   * @param fields - for a `422`, the names (not the values) of the fields the platform rejected
   */
  constructor(status: number, call: OmneoCall, fields: readonly string[] = [], problem?: string) {
    super(
      status,
      call,
      `Omneo ${call.method} ${call.route} answered ${status}${problem ? `: ${problem}` : ''}${fields.length ? ` (invalid: ${fields.join(', ')})` : ''}`,
      fields,
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
export class OmneoTimeoutError extends HttpTimeoutError {
  override name = 'OmneoTimeoutError';
  constructor(call: OmneoCall, timeoutMs: number) {
    super(call, timeoutMs, `Omneo ${call.method} ${call.route} did not answer within ${timeoutMs} ms`);
  }
}

/** The connection failed (refused, reset, DNS), on the last attempt. */
export class OmneoNetworkError extends HttpNetworkError {
  override name = 'OmneoNetworkError';
  /** @param code - the system error code, e.g. `ECONNREFUSED` */
  constructor(call: OmneoCall, code: string) {
    super(call, code, `Omneo ${call.method} ${call.route} failed: ${code}`);
  }
}

/** How the outbound layer builds the Omneo client's errors. */
export const omneoErrors: HttpErrorFactory = {
  status: (call, status, { problem, fields, retryAfterMs }) =>
    status === 429 ? new OmneoRateLimitError(call, retryAfterMs) : new OmneoApiError(status, call, fields, problem),
  timeout: (call, ms) => new OmneoTimeoutError(call, ms),
  network: (call, code) => new OmneoNetworkError(call, code),
};

