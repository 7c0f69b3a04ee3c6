/**
 * Digest inputs for the mail tests: the real findings of the public acme example
 * (through the real rules), plus findings poisoned with a fake secret value, a
 * customer's email address and markup, to prove what an email may carry; and
 * pending approvals, one of them labelled with markup, an email and a control character.
 */
import { readFileSync } from 'node:fs';
import { evaluate, fingerprint } from '../../src/rules/engine.js';
import { parsePolicy } from '../../src/rules/policy.js';
import { parseSnapshot } from '../../src/rules/snapshot.js';
import { parseInstant } from '../../src/rules/time.js';
import type { Finding, RawFinding } from '../../src/rules/types.js';
import type { DigestApproval, DigestData } from '../../src/mail/templates/digest.template.js';

export const ACME_AS_OF = '2026-11-29T00:00:00Z';

/** A value shaped like a real platform token; must never appear in a body. */
export const FAKE_TOKEN = 'omneo_pat_9f8e7d6c5b4a39281706f5e4d3c2b1a0ffee';
/** A customer's email address; must never appear in any part of an email. */
export const CUSTOMER_EMAIL = 'jane.customer@shopper.example';

export function acmeSnapshot(): unknown {
  return JSON.parse(readFileSync(new URL('../fixtures/acme.snapshot.json', import.meta.url), 'utf8'));
}

/** Every email address in the acme snapshot (accounts and directory): personal data. */
export function acmeEmails(): string[] {
  const s = acmeSnapshot() as { omneo: { users: { email?: string }[] }; directory?: { people: { email?: string }[] } };
  const all = [...s.omneo.users, ...(s.directory?.people ?? [])].map((p) => p.email).filter((e): e is string => !!e);
  return [...new Set(all)];
}

export function acmeFindings(): Finding[] {
  return evaluate(parseSnapshot(acmeSnapshot()), parsePolicy({}), parseInstant(ACME_AS_OF)!).findings;
}

export function makeFinding(raw: Partial<RawFinding> & Pick<RawFinding, 'rule' | 'severity'>, tenant = 'acme'): Finding {
  const subject = raw.subject ?? { type: 'token' as const, id: `tok_${raw.rule}`, label: `label ${raw.rule}` };
  const full: RawFinding = {
    name: 'synthetic',
    title: `Synthetic finding ${raw.rule}`,
    evidence: {},
    action: 'review',
    requires_approval: false,
    ...raw,
    subject,
  };
  return { ...full, fingerprint: fingerprint(full.rule, tenant, subject.type, subject.id) };
}

/** Findings whose labels, titles and evidence carry what an email body must not show. */
export function poisonedFindings(): Finding[] {
  return [
    makeFinding({
      rule: 'TOK-04',
      severity: 'critical',
      subject: { type: 'token', id: 'tok_evil', label: `<script>alert("label")</script> for ${CUSTOMER_EMAIL}` },
      title: `Token <script>alert('title')</script> & <b>friends</b>`,
      evidence: { token: FAKE_TOKEN, owner_email: CUSTOMER_EMAIL },
    }),
    makeFinding({
      rule: 'PRV-03',
      severity: 'high',
      subject: { type: 'erasure_request', id: 'er-9', label: 'er-9' },
      title: `Erasure request er-9 was soft-deleted`,
      evidence: { profile_email: CUSTOMER_EMAIL, note: `bearer ${FAKE_TOKEN}` },
    }),
  ];
}

/**
 * The acme findings split as a second run would see them: the first five new, the
 * rest persisting, plus two resolved ones and the poisoned findings (new).
 */
export function acmeDigestData(overrides: Partial<DigestData> = {}): DigestData {
  const findings = acmeFindings();
  const resolved = [
    makeFinding({ rule: 'TOK-02', severity: 'medium', subject: { type: 'token', id: 'tok_gone', label: 'old-export' } }),
    makeFinding({ rule: 'NET-04', severity: 'low', subject: { type: 'allowlist_entry', id: '10.9.0.0/24', label: '10.9.0.0/24' } }),
  ];
  return {
    tenant: 'acme',
    audience: 'compliance',
    asOf: ACME_AS_OF,
    findings: { created: [...findings.slice(0, 5), ...poisonedFindings()], persisting: findings.slice(5), resolved },
    policy: { inactive_days: 60, max_admins: 5 },
    ...overrides,
  };
}

/** An account's email in an approval's label: staff data, masked in every part of a digest. */
export const STAFF_EMAIL = 'bob.stone@acme.example';

/**
 * Pending approvals of acme as the digest job reads them, deliberately out of
 * order (the template sorts oldest first): waiting 12, 3 and 0 days at {@link ACME_AS_OF}.
 */
export function pendingApprovals(): DigestApproval[] {
  const day = (n: number) => new Date(Date.parse(ACME_AS_OF) - n * 86_400_000).toISOString();
  return [
    { id: 7, kind: 'revoke_token', rule: 'TOK-02', label: 'pos-sync', requestedAt: day(3), expiresAt: day(3 - 14) },
    { id: 3, kind: 'remove_user', rule: 'ACC-01', label: `<b>Bob</b> (${STAFF_EMAIL})\u001b[2J`, requestedAt: day(12.5), expiresAt: day(12.5 - 14) },
    { id: 9, kind: 'remove_user', rule: 'ACC-03', label: 'Cara Diaz', requestedAt: day(0.25), expiresAt: day(0.25 - 14) },
  ];
}
