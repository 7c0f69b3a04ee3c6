/** Typed errors of the erasure pipeline. Messages name request ids, never a profile id or an identifier. */
import { DomainError } from '../errors.js';

/**
 * A step the request's state or the law does not allow: a second extension,
 * retaining a purged request, retrying one that did not fail, the certificate
 * of a request not proven. CLI exit 5, HTTP 409.
 */
export class ErasureRefusedError extends DomainError {
  override readonly name = 'ErasureRefusedError';
}
