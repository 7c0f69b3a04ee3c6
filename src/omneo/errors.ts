/**
 * Errors of the Omneo client. Each names the method and the path of the call
 * (never its query string, which can hold an email or a search term, and never
 * the bearer token), so it is safe to log and to show.
 */

/** Base of every client error: the call that failed. */
export class OmneoError extends Error {
  override name = 'OmneoError';
  constructor(
    readonly method: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
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
    method: string,
    path: string,
    readonly fields: readonly string[] = [],
    problem?: string,
  ) {
    super(
      method,
      path,
      `Omneo ${method} ${path} answered ${status}${problem ? `: ${problem}` : ''}${fields.length ? ` (invalid: ${fields.join(', ')})` : ''}`,
    );
  }
}

/** `429` and the client ran out of retries, or was asked to wait longer than it may. */
export class OmneoRateLimitError extends OmneoApiError {
  override name = 'OmneoRateLimitError';
  /** @param retryAfterMs - how long the platform asked to wait, when it said */
  constructor(
    method: string,
    path: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(429, method, path, [], retryAfterMs === undefined ? 'rate limited' : `rate limited, retry after ${retryAfterMs} ms`);
  }
}

/** No answer within the timeout, on the last attempt. */
export class OmneoTimeoutError extends OmneoError {
  override name = 'OmneoTimeoutError';
  constructor(
    method: string,
    path: string,
    readonly timeoutMs: number,
  ) {
    super(method, path, `Omneo ${method} ${path} did not answer within ${timeoutMs} ms`);
  }
}

/** The connection failed (refused, reset, DNS), on the last attempt. */
export class OmneoNetworkError extends OmneoError {
  override name = 'OmneoNetworkError';
  /** @param code - the system error code, e.g. `ECONNREFUSED` */
  constructor(
    method: string,
    path: string,
    readonly code: string,
  ) {
    super(method, path, `Omneo ${method} ${path} failed: ${code}`);
  }
}
