/** Refusals of the web app that are neither input nor ledger errors. */
import { DomainError } from '../errors.js';

/** Not signed in (401), or signed in without a role the route needs (403). Safe to show. */
export class AccessError extends DomainError {
  override readonly name = 'AccessError';
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

/** A form or script without a valid CSRF token or same-origin proof (403). */
export class CsrfError extends DomainError {
  override readonly name = 'CsrfError';
  constructor() {
    super('this form has expired or did not come from Warden: reload the page and try again');
  }
}
