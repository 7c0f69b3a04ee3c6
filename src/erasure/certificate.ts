/**
 * The certificate of erasure: what an auditor or the data subject is shown.
 * Built once, when a request is proven (src/db/erasure.repository.ts
 * `proveErasure` stores it with its SHA-256 and records the hash in the
 * hash-chained audit log). It names the profile by its platform id, as the
 * proof needs, and the identifiers only by their salted hashes.
 */
import type { ErasureRequest, Tenant } from '../db/database.js';
import type { ErasureCheck } from './verify-erasure.js';

export const CERTIFICATE_VERSION = 1;

export interface CertificateInput {
  request: ErasureRequest;
  tenant: Pick<Tenant, 'name' | 'purge_method'>;
  outcome: 'verified' | 'not_found';
  checks: readonly ErasureCheck[];
  at: Date;
}

export function buildCertificate({ request, tenant, outcome, checks, at }: CertificateInput): Record<string, unknown> {
  return {
    document: 'certificate of erasure',
    version: CERTIFICATE_VERSION,
    request_id: request.id,
    tenant: tenant.name,
    profile_id: request.profile_id,
    reference: request.reference,
    outcome,
    outcome_meaning:
      outcome === 'verified'
        ? 'the profile was purged and every check found it gone'
        : 'the platform did not hold the profile when asked to purge it, and every check found nothing',
    received_at: request.received_at.toISOString(),
    deadline_at: request.deadline_at.toISOString(),
    deadline_extension: request.extended_months === null ? null : { months: request.extended_months, reason: request.extension_reason, by: request.extended_by },
    purged_at: request.purged_at?.toISOString() ?? null,
    verified_at: at.toISOString(),
    purge: { method: tenant.purge_method, call: `${tenant.purge_method} /profiles/{id}/purge`, answers: request.purge_answers, rounds: request.purge_rounds },
    checks,
    identifiers: request.identifier_kinds.map((kind, i) => ({ kind, sha256: request.identifier_hashes[i] })),
    identifier_hashing: 'SHA-256 of the tenant’s salt followed by kind:value (email lower-cased, phone without separators); the salt is kept by Warden',
    requested_by: request.requested_by,
    reopened: request.reopened_count,
  };
}

/** The certificate as plain text (`warden purge certificate ID --format text`), with its SHA-256. */
export function certificateText(body: Record<string, unknown>, sha256: string, issuedAt: Date): string {
  const b = body as {
    request_id: number; tenant: string; profile_id: string; reference: string | null; outcome: string; outcome_meaning: string;
    received_at: string; deadline_at: string; purged_at: string | null; verified_at: string;
    purge?: { call: string; answers: string[]; rounds: number }; checks?: ErasureCheck[]; identifiers?: { kind: string; sha256: string }[];
    history?: string;
  };
  const lines = [
    'CERTIFICATE OF ERASURE',
    '',
    `Request:      #${b.request_id}${b.reference ? ` (${b.reference})` : ''}`,
    `Tenant:       ${b.tenant}`,
    `Profile:      ${b.profile_id ?? '(not recorded)'}`,
    `Outcome:      ${b.outcome}${b.outcome_meaning ? ` — ${b.outcome_meaning}` : ''}`,
    ...(b.history === undefined ? [] : [`Note:         ${b.history}`]),
    `Received:     ${b.received_at ?? '—'}`,
    `Deadline:     ${b.deadline_at ?? '—'}`,
    `Purged:       ${b.purged_at ?? '—'}`,
    `Verified:     ${b.verified_at ?? '—'}`,
    `Issued:       ${issuedAt.toISOString()}`,
  ];
  if (b.purge !== undefined) lines.push(`Purge call:   ${b.purge.call}, ${b.purge.rounds} round(s), answers: ${b.purge.answers.join(', ') || 'none'}`);
  if (b.checks !== undefined && b.checks.length > 0) {
    lines.push('', 'Checks:');
    for (const c of b.checks) lines.push(`  ${c.passed ? 'passed' : 'FAILED'}  ${c.check}${c.identifier ? ` by ${c.identifier}` : ''}: ${c.call} → ${c.result} (${c.at})`);
  }
  if (b.identifiers !== undefined && b.identifiers.length > 0) {
    lines.push('', 'Identifiers (salted SHA-256):');
    for (const i of b.identifiers) lines.push(`  ${i.kind}: ${i.sha256}`);
  }
  lines.push('', `SHA-256 of this certificate (canonical JSON), recorded in Warden's audit log: ${sha256}`, '');
  return lines.join('\n');
}
