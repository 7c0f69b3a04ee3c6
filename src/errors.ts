/**
 * Typed errors shared by every layer. Each carries a message that is safe to
 * show a user: no token, secret value or customer identifier ever goes in one.
 */

/** Bad input from a user (file, flag, variable): exit status 2 on the CLI, a 4xx over HTTP. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  /**
   * @param path - where the problem is, e.g. `snapshot.omneo.users[3].created_at` or `--as-of`
   * @param problem - what is wrong with it, e.g. `not an ISO 8601 timestamp`
   */
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * The ledger refused an operation for what it holds, not for how it was asked:
 * a row that does not exist, a lifecycle step its status does not allow. Each
 * subclass has its own exit status on the CLI (src/cli/main.ts) and its own
 * HTTP status later; the message is safe to show.
 */
export class DomainError extends Error {
  override readonly name: string = 'DomainError';
}

/**
 * A service Warden needs (Postgres, Redis, SMTP) did not answer when a command
 * started: exit status 1, one line naming the variable that points at it and
 * where it was looked for, never the URL itself (it may hold a password).
 * docs/operations.md "Services down".
 */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  /**
   * @param variable - the environment variable naming the service, e.g. `REDIS_URL`
   * @param where - `host:port` (or a list of them), never with credentials
   * @param reason - the socket's error code (`ECONNREFUSED`), or what went wrong in a few words
   */
  constructor(
    readonly variable: string,
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${variable}: cannot connect to ${where} (${reason})`);
  }
}

/** The short reason of a failed connection: its error code (`ECONNREFUSED`, `ENOTFOUND`…), else its first line. */
export function connectionReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e?.code === 'string' && e.code !== '') return e.code;
  // Node's AggregateError (a host with an IPv4 and an IPv6 address) carries the code on each attempt.
  if (Array.isArray(e?.errors) && e.errors.length > 0) return connectionReason(e.errors[0]);
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return message.split('\n')[0]!.slice(0, 200);
}
