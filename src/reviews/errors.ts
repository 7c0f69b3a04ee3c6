/** Why a step of an access review was refused for who asks (docs/operations.md "Exit statuses"). */
import { DomainError } from '../errors.js';

/**
 * Refused for who asks or what the item is: an item assigned to someone else,
 * one's own account, a pack not made yet. HTTP answers `status`; the CLI
 * exits 5. The message names ids only.
 */
export class ReviewRefusedError extends DomainError {
  override readonly name = 'ReviewRefusedError';
  constructor(
    /** 403: not yours to do; 409: not possible in the campaign's state. */
    readonly status: 403 | 409,
    message: string,
  ) {
    super(message);
  }
}
