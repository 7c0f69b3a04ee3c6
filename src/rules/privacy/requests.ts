/**
 * Facts about a GDPR erasure request that the privacy rules share. Evidence
 * names the request, never the profile: a profile id is a customer identifier
 * and findings travel by email (docs/rules.md, "PRV: privacy").
 */
import type { Policy } from '../policy.js';
import type { ErasureRequest } from '../snapshot.js';
import { DAY_MS, iso } from '../time.js';

/** Received, purging, purged or failed: only a `verified` erasure is done. */
export function isOpen(request: ErasureRequest): boolean {
  return request.status !== 'verified';
}

/** The day the erasure must be done by: receipt plus `erasure_deadline_days`. */
export function deadlineOf(request: ErasureRequest, policy: Policy): number {
  return request.received_at + policy.erasure_deadline_days * DAY_MS;
}

/** The evidence every privacy finding carries. */
export function requestEvidence(request: ErasureRequest, policy: Policy) {
  return { status: request.status, received_at: iso(request.received_at), deadline: iso(deadlineOf(request, policy)) };
}

/** Descriptions of {@link requestEvidence}'s fields, for docs/rules.md. */
export const REQUEST_EVIDENCE_DOC = {
  status: 'the request\'s status',
  received_at: 'when it was received',
  deadline: 'its deadline (receipt + `erasure_deadline_days`)',
} as const;
