import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ErasureRequest } from '../../../src/db/database.js';
import { buildCertificate, certificateText, CERTIFICATE_VERSION } from '../../../src/erasure/certificate.js';
import { identifierHash, type Identifier } from '../../../src/erasure/identifiers.js';
import type { ErasureCheck } from '../../../src/erasure/verify-erasure.js';

const salt = randomBytes(32);
const identifiers: Identifier[] = [
  { kind: 'email', value: 'ann.lee@example.com' },
  { kind: 'phone', value: '+61400111222' },
];

function request(extra: Partial<ErasureRequest> = {}): ErasureRequest {
  return {
    id: 42,
    tenant: 'acme',
    profile_id: '90210',
    status: 'purged',
    received_at: new Date('2025-01-31T09:00:00.000Z'),
    deadline_at: new Date('2025-02-28T09:00:00.000Z'),
    purging_at: new Date('2025-02-01T09:00:00.000Z'),
    purged_at: new Date('2025-02-01T09:00:01.000Z'),
    verified_at: null,
    failed_at: null,
    attempts: 2,
    error: null,
    reference: 'TICKET-7',
    requested_by: 'cli:ops',
    identifiers: Buffer.from('sealed'),
    identifier_kinds: identifiers.map((i) => i.kind),
    identifier_hashes: identifiers.map((i) => identifierHash(salt, i)),
    purge_rounds: 1,
    purge_answers: ['unknown', 'accepted'],
    verify_until: null,
    verify_tries: 1,
    checks: null,
    extended_months: null,
    extension_reason: null,
    extended_by: null,
    extended_at: null,
    retained_reason: null,
    retained_by: null,
    retained_at: null,
    ended_at: null,
    next_reverify_at: null,
    last_reverified_at: null,
    reopened_count: 0,
    ...extra,
  };
}

const at = '2025-02-01T09:00:05.000Z';
const checks: ErasureCheck[] = [
  { check: 'profile', call: 'GET /profiles/{id}', passed: true, result: 'not found (404)', at },
  { check: 'search', identifier: 'email', call: 'GET /profiles?filter[email]=…', passed: true, result: 'no profile matches', at },
  { check: 'search', identifier: 'phone', call: 'GET /profiles?search=…', passed: true, result: 'no profile matches', at },
  { check: 'transactions', call: 'GET /profiles/{id}/transactions', passed: true, result: 'none', at },
];

describe('buildCertificate', () => {
  const body = buildCertificate({ request: request(), tenant: { name: 'acme', purge_method: 'DELETE' }, outcome: 'verified', checks, at: new Date(at) });

  it('names the request, tenant, profile, instants, purge calls, every check and the identifiers’ salted hashes', () => {
    expect(body).toEqual({
      document: 'certificate of erasure',
      version: CERTIFICATE_VERSION,
      request_id: 42,
      tenant: 'acme',
      profile_id: '90210',
      reference: 'TICKET-7',
      outcome: 'verified',
      outcome_meaning: 'the profile was purged and every check found it gone',
      received_at: '2025-01-31T09:00:00.000Z',
      deadline_at: '2025-02-28T09:00:00.000Z',
      deadline_extension: null,
      purged_at: '2025-02-01T09:00:01.000Z',
      verified_at: at,
      purge: { method: 'DELETE', call: 'DELETE /profiles/{id}/purge', answers: ['unknown', 'accepted'], rounds: 1 },
      checks,
      identifiers: [
        { kind: 'email', sha256: identifierHash(salt, identifiers[0]!) },
        { kind: 'phone', sha256: identifierHash(salt, identifiers[1]!) },
      ],
      identifier_hashing: body.identifier_hashing,
      requested_by: 'cli:ops',
      reopened: 0,
    });
  });

  it('holds no identifier value, nor the sealed box, and is plain JSON', () => {
    const text = JSON.stringify(body);
    for (const i of identifiers) expect(text).not.toContain(i.value);
    expect(text).not.toContain('ann.lee');
    expect(text).not.toContain('sealed');
    expect(JSON.parse(text)).toEqual(body);
  });

  it('says how it was extended, the POST method, and not_found', () => {
    const other = buildCertificate({
      request: request({ extended_months: 2, extension_reason: 'complex request', extended_by: 'ops@acme.example' }),
      tenant: { name: 'acme', purge_method: 'POST' },
      outcome: 'not_found',
      checks,
      at: new Date(at),
    });
    expect(other.outcome_meaning).toMatch(/did not hold the profile/);
    expect(body.identifier_hashing).toMatch(/salt/);
    expect(other).toMatchObject({
      outcome: 'not_found',
      deadline_extension: { months: 2, reason: 'complex request', by: 'ops@acme.example' },
      purge: { method: 'POST', call: 'POST /profiles/{id}/purge' },
    });
  });
});

describe('certificateText', () => {
  const body = buildCertificate({ request: request(), tenant: { name: 'acme', purge_method: 'DELETE' }, outcome: 'verified', checks, at: new Date(at) });
  const sha = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const text = certificateText(body, sha, new Date('2025-02-01T09:00:06.000Z'));

  it('lists the request, the instants, every check, the hashes and the certificate’s SHA-256', () => {
    expect(text.startsWith('CERTIFICATE OF ERASURE\n')).toBe(true);
    expect(text).toContain('Request:      #42 (TICKET-7)');
    expect(text).toContain('Tenant:       acme');
    expect(text).toContain('Profile:      90210');
    expect(text).toContain('Outcome:      verified');
    expect(text).toContain('Received:     2025-01-31T09:00:00.000Z');
    expect(text).toContain('Verified:     2025-02-01T09:00:05.000Z');
    expect(text).toContain('Issued:       2025-02-01T09:00:06.000Z');
    expect(text).toContain('Purge call:   DELETE /profiles/{id}/purge, 1 round(s), answers: unknown, accepted');
    expect(text).toContain('  passed  search by email: GET /profiles?filter[email]=… → no profile matches');
    expect(text).toContain(`  email: ${identifierHash(salt, identifiers[0]!)}`);
    expect(text).toContain(sha);
    expect(text.match(/^ {2}passed /gm)).toHaveLength(4);
  });

  it('contains no identifier value', () => {
    for (const i of identifiers) expect(text).not.toContain(i.value);
    expect(text).not.toMatch(/@/);
    expect(text).not.toContain('400111222');
  });

  it('marks a failed check, and reads a body with parts missing (an older certificate) without throwing', () => {
    const failing = certificateText({ ...body, checks: [{ ...checks[0]!, passed: false, result: 'the profile is still there' }] }, sha, new Date(at));
    expect(failing).toContain('  FAILED  profile: GET /profiles/{id} → the profile is still there');
    const bare = certificateText({ request_id: 1, tenant: 'acme', outcome: 'verified' }, sha, new Date(at));
    expect(bare).toContain('Profile:      (not recorded)');
    expect(bare).toContain('Purged:       —');
  });
});
