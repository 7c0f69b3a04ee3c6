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
