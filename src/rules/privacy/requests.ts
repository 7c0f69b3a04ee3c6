/**
 * Facts about a GDPR erasure request that the privacy rules share. Evidence
 * names the request, never the profile: a profile id is a customer identifier
 * and findings travel by email (docs/rules.md, "PRV: privacy").
 */
import type { Policy } from '../policy.js';
import type { ErasureRequest } from '../snapshot.js';
import { DAY_MS, iso } from '../time.js';

/**
 * Statuses that end a request: erased and checked (`verified`), proven never
 * held (`not_found`), or kept on purpose with a recorded legal reason
 * (`retained`). Every other status, `failed` included, still owes an erasure.
 */
const CLOSED_STATUSES: ReadonlySet<ErasureRequest['status']> = new Set(['verified', 'not_found', 'retained']);

/** Open until the erasure is verified, the profile proven never held, or the data retained on purpose. */
export function isOpen(request: ErasureRequest): boolean {
  return !CLOSED_STATUSES.has(request.status);
}

/**
 * The instant the erasure must be done by: the request's own `deadline_at`
 * when it has one (set when it was received, or extended since), otherwise
 * receipt plus `erasure_deadline_days`. An own deadline is taken as given,
 * even past the policy's: the policy value is only the fallback.
 */
export function deadlineOf(request: ErasureRequest, policy: Policy): number {
  return request.deadline_at ?? request.received_at + policy.erasure_deadline_days * DAY_MS;
}

/** The evidence every privacy finding carries. */
export function requestEvidence(request: ErasureRequest, policy: Policy) {
  return { status: request.status, received_at: iso(request.received_at), deadline: iso(deadlineOf(request, policy)) };
}

/** Descriptions of {@link requestEvidence}'s fields, for docs/rules.md. */
export const REQUEST_EVIDENCE_DOC = {
  status: 'the request\'s status',
  received_at: 'when it was received',
  deadline: 'its deadline: the request\'s `deadline_at`, else receipt + `erasure_deadline_days`',
} as const;
