/** Why a decision on an approval was refused, for both faces (docs/operations.md "Exit statuses"). */
import { DomainError } from '../errors.js';

/**
 * A decision refused for who asks or what the approval is: not an admin of
 * its tenant, one's own account, a guardrail, an expired or used link. HTTP
 * answers `status`; the CLI exits 5 (the step is not allowed). The message is
 * safe to show: ids and rules, no secret.
 */
export class ApprovalRefusedError extends DomainError {
  override readonly name = 'ApprovalRefusedError';
  constructor(
    /** 403: not yours to decide; 409: not decidable now; 410: the link is spent or expired. */
    readonly status: 403 | 409 | 410,
    message: string,
  ) {
    super(message);
  }
}

/** The act went through, but the platform does not show its result yet (the account still answers, the webhook is still on): tried again on the job's backoff. */
export class NotYetVerifiedError extends Error {
  override readonly name = 'NotYetVerifiedError';
}
