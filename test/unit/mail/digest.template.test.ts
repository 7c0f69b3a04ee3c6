import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { APPROVALS_AUDIENCES, digestAttachments, renderDigest, type DigestData } from '../../../src/mail/templates/digest.template.js';
import { EMAIL_MASK } from '../../../src/mail/templates/mask.js';
import { CSV_COLUMNS } from '../../../src/report/findings.format.js';
import { SEVERITY_RANK } from '../../../src/rules/types.js';
import {
  CUSTOMER_EMAIL,
  FAKE_TOKEN,
  STAFF_EMAIL,
  acmeDigestData,
  acmeEmails,
  acmeFindings,
  makeFinding,
  pendingApprovals,
} from '../../support/digest-data.js';

const csvOf = (data: DigestData) => {
  const [att] = digestAttachments(data);
  return { att: att!, rows: parse<Record<string, string>>(att!.content, { columns: true }) };
};

/** The rule ids of the top-findings table, in the order the HTML lists them. */
const htmlRules = (html: string) => [...html.matchAll(/<tr data-rule="([^"]+)"/g)].map((m) => m[1]!);

describe('renderDigest', () => {
  const data = acmeDigestData();
  const out = renderDigest(data);
  // acme: 7 critical, 14 high, 7 medium, 1 low; the poisoned findings add a critical and a high.
  const open = data.findings.created.length + data.findings.persisting.length;

  it('says in the subject which tenant, how many open, critical, new and resolved, and for whom', () => {
    expect(open).toBe(31);
    expect(out.subject).toBe(
      '[Warden] acme: 31 open (8 critical), 7 new, 2 resolved - Compliance digest 2026-11-29',
    );
    expect(renderDigest({ ...data, audience: 'admins' }).subject).toContain('Admin digest');
  });

  it('shows the counts by severity and the new / persisting / resolved counts in both parts', () => {
    expect(out.text).toMatch(/^ +critical +8$/m);
    expect(out.text).toMatch(/^ +high +15$/m);
    expect(out.text).toMatch(/^ +medium +7$/m);
    expect(out.text).toMatch(/^ +low +1$/m);
    expect(out.text).toContain('Since the previous run: 7 new, 24 persisting, 2 resolved.');
    expect(out.html).toMatch(/data-severity="critical"[^>]*><div[^>]*>8<\/div>/);
    expect(out.html).toMatch(/data-severity="high"[^>]*><div[^>]*>15<\/div>/);
    expect(out.html).toContain('<strong>7 new</strong>, 24 persisting, <strong>2 resolved</strong>');
  });

  it('takes given counts over its own', () => {
    const r = renderDigest({ ...data, counts: { critical: 100, high: 0, medium: 0, low: 1 } });
    expect(r.subject).toContain('101 open (100 critical)');
  });

  it('lists the 10 most severe open findings, severity first, marked new or persisting', () => {
    const rules = htmlRules(out.html);
    expect(rules).toHaveLength(10);
    const all = [...data.findings.created, ...data.findings.persisting];
    const ranks = rules.map((r) => SEVERITY_RANK[all.find((f) => f.rule === r)!.severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // 8 criticals exist: all of them come before any high.
    expect(ranks.filter((r) => r === 0)).toHaveLength(8);
    expect(out.text).toContain('Most severe open findings (10 of 31):');
    expect(out.text).toMatch(/^ {2}1\. \[CRITICAL\] ACC-01 \((new|persisting)\) /m);
    expect(out.text).not.toMatch(/^ 11\. /m);
  });

  it('honours topN, and a low-severity new finding does not jump the queue', () => {
    const low = makeFinding({ rule: 'NET-04', severity: 'low', title: 'the low one' });
    const high = makeFinding({ rule: 'TOK-01', severity: 'high', title: 'the high one' });
    const crit = makeFinding({ rule: 'ACC-01', severity: 'critical', title: 'the critical one' });
    const r = renderDigest({ ...data, topN: 2, findings: { created: [low, high], persisting: [crit], resolved: [] } });
    expect(htmlRules(r.html)).toEqual(['ACC-01', 'TOK-01']);
    expect(r.text).toContain('(2 of 3)');
    expect(r.text).not.toContain('the low one');
    expect(r.html).toContain('>persisting<');
  });

  it('escapes markup in titles, labels and the tenant name', () => {
    const r = renderDigest({ ...data, tenant: '<img src=x onerror=alert(1)>' });
    expect(r.html).not.toMatch(/<script/i);
    expect(r.html).not.toMatch(/<img/i);
    expect(r.html).not.toContain('<b>friends</b>');
    expect(r.html).toContain('Token &lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; &amp; &lt;b&gt;friends&lt;/b&gt;');
    expect(r.html).toContain('&lt;script&gt;alert(&quot;label&quot;)&lt;/script&gt;');
    // The plain-text part is not HTML: it shows the title as written.
    expect(r.text).toContain(`Token <script>alert('title')</script> & <b>friends</b>`);
  });

  it('promises only what it is given: no approvals section without approvals, and no links without WARDEN_PUBLIC_URL (test/unit/mail/digest-links.test.ts has them)', () => {
    for (const audience of ['compliance', 'admins', 'engineers'] as const) {
      const r = renderDigest({ ...data, audience });
      for (const part of [r.html, r.text]) {
        expect(part).not.toMatch(/approv/i);
        expect(part).not.toContain('in Warden');
        expect(part).not.toContain('href=');
        expect(part).not.toContain('https://');
      }
    }
  });

  it('names the policy the findings were judged by: its overrides against their defaults', () => {
    const line = 'Policy: the defaults, except inactive_days = 60 (default 90), max_admins = 5 (default 3).';
    expect(out.text).toContain(`What the scheduled audit found, and what changed since the previous run.\n${line}\n`);
    expect(out.html).toContain(`<p id="policy" style="margin:0 0 16px;color:#374151;font-size:13px">${line}</p>`);
    const plain = renderDigest({ ...data, policy: undefined });
    expect(plain.text).toContain('Policy: the defaults.\n');
  });

  it('says all findings are in the attached CSV, and reads the same in the text part', () => {
    const line = 'All 33 findings (new, persisting and resolved) are in the attached CSV file warden-acme-2026-11-29.csv.';
    expect(out.text).toContain(line);
    expect(out.html).toContain(line);
    expect(out.text).toContain('Warden Compliance digest for acme\nAs of 2026-11-29 00:00 UTC\n');
  });

  it('says so when nothing is open', () => {
    const r = renderDigest({ ...data, findings: { created: [], persisting: [], resolved: [] } });
    expect(r.text).toContain('No open findings.');
    expect(r.html).toContain('No open findings.');
    expect(r.subject).toContain('0 open (0 critical), 0 new, 0 resolved');
  });

  it('rejects bad data with an InputError naming the field', () => {
    const bad: [Partial<DigestData>, string][] = [
      [{ topN: -1 }, 'topN'],
      [{ asOf: 'yesterday' }, 'asOf'],
      [{ tenant: ' ' }, 'tenant'],
      [{ audience: 'everyone' as DigestData['audience'] }, 'audience'],
    ];
    for (const [override, path] of bad) {
      expect(() => renderDigest({ ...data, ...override })).toThrow(InputError);
      expect(() => renderDigest({ ...data, ...override })).toThrow(expect.objectContaining({ path }));
    }
  });
});

describe('what each part of the email may carry', () => {
  const data = acmeDigestData();
  const body = renderDigest(data);
  const { att } = csvOf(data);

  it('the body (subject, HTML, text) never carries evidence: no secret value, no customer email', () => {
    for (const part of [body.subject, body.html, body.text]) {
      expect(part).not.toContain(FAKE_TOKEN);
      expect(part).not.toContain(CUSTOMER_EMAIL);
      expect(part).not.toContain('owner_email');
      for (const email of acmeEmails()) expect(part.toLowerCase()).not.toContain(email.toLowerCase());
    }
  });

  it('the body shows labels with email addresses masked', () => {
    expect(body.text).toContain(`API token: <script>alert("label")</script> for ${EMAIL_MASK}`);
    expect(body.html).toContain(`for ${EMAIL_MASK}`);
  });

  it('the CSV carries evidence as the rules produce it, with email addresses masked', () => {
    // The evidence column is the audit record: what the rule put there goes there.
    // Rules keep secret values out of evidence; this poisoned finding shows the CSV does not filter it.
    expect(att.content).toContain(FAKE_TOKEN);
    expect(att.content).not.toContain(CUSTOMER_EMAIL);
    for (const email of acmeEmails()) expect(att.content.toLowerCase()).not.toContain(email.toLowerCase());
  });
});

describe('digestAttachments', () => {
  const data = acmeDigestData();
  const { att, rows } = csvOf(data);

  it('is one CSV named for the tenant and date', () => {
    expect(digestAttachments(data)).toHaveLength(1);
    expect(att.filename).toBe('warden-acme-2026-11-29.csv');
    expect(att.contentType).toBe('text/csv; charset=utf-8');
  });

  it('has a status column, then the columns of toCsv, and one row per finding of every status', () => {
    const header = att.content.slice(0, att.content.indexOf('\n')).split(',');
    expect(header).toEqual(['status', ...CSV_COLUMNS]);
    const { created, persisting, resolved } = data.findings;
    expect(rows).toHaveLength(created.length + persisting.length + resolved.length);
    expect(rows.filter((r) => r.status === 'new')).toHaveLength(created.length);
    expect(rows.filter((r) => r.status === 'persisting')).toHaveLength(persisting.length);
    expect(rows.filter((r) => r.status === 'resolved').map((r) => r.subject_id)).toEqual(['tok_gone', '10.9.0.0/24']);
    expect(new Set(rows.map((r) => r.fingerprint))).toEqual(
      new Set([...created, ...persisting, ...resolved].map((f) => f.fingerprint)),
    );
  });

  it('keeps each row intact: quoting, evidence JSON and titles with line breaks survive', () => {
    const f = makeFinding({ rule: 'SEC-01', severity: 'high', title: 'line one\nline "two", three', evidence: { age_days: 400 } });
    const { rows: r } = csvOf({ ...data, findings: { created: [f], persisting: [], resolved: [] } });
    expect(r).toEqual([expect.objectContaining({ status: 'new', rule: 'SEC-01', title: 'line one\nline "two", three' })]);
    expect(JSON.parse(r[0]!.evidence!)).toEqual({ age_days: 400 });
  });

  it('lists the real acme findings with their evidence', () => {
    const acc01 = acmeFindings().find((f) => f.rule === 'ACC-01')!;
    const row = rows.find((r) => r.fingerprint === acc01.fingerprint)!;
    expect(row).toMatchObject({ severity: 'critical', subject_id: acc01.subject.id, requires_approval: 'true' });
    expect(JSON.parse(row.evidence!)).toEqual(acc01.evidence);
  });
});

describe('pending approvals in the digest', () => {
  const approvals = { total: 3, oldest: pendingApprovals() };
  const admins = renderDigest(acmeDigestData({ audience: 'admins', approvals }));
  /** The approval ids of the HTML table, in its order. */
  const htmlIds = (html: string) => [...html.matchAll(/<tr data-approval="(\d+)"/g)].map((m) => Number(m[1]));

  it('lists them oldest first with their age in whole days, id, kind, rule, label, requested and expires, in both parts', () => {
    expect(admins.text).toContain(
      [
        'Approvals waiting for an admin: 3, oldest first.',
        `  #3 Remove account: <b>Bob</b> (${EMAIL_MASK})\\u001b[2J (ACC-01), waiting 12 days, requested 2026-11-16, expires 2026-11-30`,
        '  #7 Revoke API token: pos-sync (TOK-02), waiting 3 days, requested 2026-11-26, expires 2026-12-10',
        '  #9 Remove account: Cara Diaz (ACC-03), waiting 0 days, requested 2026-11-28, expires 2026-12-12',
        '',
      ].join('\n'),
    );
    expect(htmlIds(admins.html)).toEqual([3, 7, 9]);
    expect(admins.html).toContain('<h2 style="font-size:16px;margin:24px 0 8px">Approvals waiting for an admin: 3, oldest first.</h2>');
    const row = /<tr data-approval="7">(.*?)<\/tr>/.exec(admins.html)![1]!;
    expect([...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1])).toEqual(['#7', 'Revoke API token', 'TOK-02', 'pos-sync', '3 days', '2026-11-26', '2026-12-10']);
  });

  it('escapes markup, masks emails and shows control characters in labels, in every part', () => {
    expect(admins.html).toContain(`&lt;b&gt;Bob&lt;/b&gt; (${EMAIL_MASK})\\u001b[2J`);
    expect(admins.html).not.toContain('<b>Bob</b>');
    for (const part of [admins.subject, admins.html, admins.text]) {
      expect(part).not.toContain(STAFF_EMAIL);
      expect(part).not.toContain('\u001b');
    }
  });

  it('is in the compliance digest too, and never in the engineers’ (the job gives it to admins and compliance only)', () => {
    expect(APPROVALS_AUDIENCES).toEqual(['admins', 'compliance']);
    const compliance = renderDigest(acmeDigestData({ approvals }));
    expect(htmlIds(compliance.html)).toEqual([3, 7, 9]);
    expect(() => renderDigest(acmeDigestData({ audience: 'engineers', approvals }))).toThrow(expect.objectContaining({ path: 'approvals' }));
  });

  it('counts them all and lists the oldest it is given, saying where the rest are', () => {
    const r = renderDigest(acmeDigestData({ audience: 'admins', approvals: { total: 45, oldest: pendingApprovals().slice(0, 2) } }));
    expect(r.text).toContain('Approvals waiting for an admin: 45 (the 2 oldest), oldest first.\n');
    expect(r.text).toContain('  All of them: warden approvals list --state pending\n');
    expect(r.html).toContain('All of them: <code>warden approvals list --state pending</code>');
    expect(htmlIds(r.html)).toEqual([3, 7]);
  });

  it('says so when none is waiting', () => {
    const r = renderDigest(acmeDigestData({ audience: 'admins', approvals: { total: 0, oldest: [] } }));
    expect(r.text).toContain('No approvals are waiting for an admin.\n');
    expect(r.html).toContain('No approvals are waiting for an admin.');
    expect(htmlIds(r.html)).toEqual([]);
  });

  it('links each approval to its page with WARDEN_PUBLIC_URL (only the id in the URL), and not without', () => {
    const linked = renderDigest(acmeDigestData({ audience: 'admins', approvals, links: { publicUrl: 'https://warden.example/base/' } }));
    expect(linked.html).toContain('<tr data-approval="3"><td style="padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top"><a href="https://warden.example/base/approvals/3" style="color:#1d4ed8">#3</a></td>');
    expect(linked.text).toMatch(/^ {2}#7 Revoke API token: pos-sync \(TOK-02\), waiting 3 days, requested 2026-11-26, expires 2026-12-10\n {5}https:\/\/warden\.example\/base\/approvals\/7\n/m);
    const urls = [...linked.text.matchAll(/https:\/\/\S+\/approvals\/\S*/g)].map((m) => m[0]);
    expect(urls).toEqual([3, 7, 9].map((id) => `https://warden.example/base/approvals/${id}`));
    expect(admins.text).not.toContain('/approvals/');
    expect(admins.html).not.toContain('href=');
  });

  it('rejects bad approval data with an InputError naming the field', () => {
    const [first] = pendingApprovals();
    const bad: [DigestData['approvals'], string][] = [
      [{ total: 0, oldest: [first!] }, 'approvals.total'],
      [{ total: 1, oldest: [{ ...first!, id: 0 }] }, 'approvals.id'],
      [{ total: 1, oldest: [{ ...first!, requestedAt: 'last week' }] }, 'approvals.requestedAt'],
      [{ total: 1, oldest: [{ ...first!, expiresAt: '' }] }, 'approvals.expiresAt'],
    ];
    for (const [approvals, path] of bad) {
      expect(() => renderDigest(acmeDigestData({ audience: 'admins', approvals }))).toThrow(InputError);
      expect(() => renderDigest(acmeDigestData({ audience: 'admins', approvals }))).toThrow(expect.objectContaining({ path }));
    }
  });
});

describe('the access review in the digest', () => {
  const review = { id: 4, status: 'open' as const, dueOn: '2026-12-14', closesOn: '2026-12-18', items: 13, decided: 9, undecided: 4, flaggedUndecided: 2, overdueDays: 0 };
  const data = { ...acmeDigestData(), review };

  it('shows decided and undecided, the due date, and when overdue how late and when it closes, in both parts', () => {
    const out = renderDigest(data);
    expect(out.text).toContain('Access review #4: 9 of 13 items decided, 4 undecided (2 flagged); due 2026-12-14.\n');
    expect(out.html).toContain('<div id="access-review"><h2 style="font-size:16px;margin:24px 0 8px">Access review</h2><p style="margin:8px 0">Access review #4: 9 of 13 items decided, 4 undecided (2 flagged); due 2026-12-14.</p></div>');
    const late = renderDigest({ ...data, review: { ...review, overdueDays: 2 } });
    expect(late.text).toContain('due 2026-12-14, overdue by 2 days; it closes on 2026-12-18, when the undecided items take its no-response policy.');
    expect(renderDigest({ ...data, review: { ...review, status: 'closing' } }).text).toContain('4 undecided (2 flagged); being closed now.');
    // Links with WARDEN_PUBLIC_URL: the campaign's page, by id only.
    const linked = renderDigest({ ...data, links: { publicUrl: 'https://warden.test/' } });
    expect(linked.text).toContain('  The campaign in Warden: https://warden.test/reviews/4\n');
    expect(linked.html).toContain('<a href="https://warden.test/reviews/4" style="color:#1d4ed8">The campaign in Warden</a>');
    // None given: no section.
    expect(renderDigest(acmeDigestData()).text).not.toContain('Access review');
  });

  it('is the compliance digest’s only, and refuses bad data naming the field', () => {
    expect(() => renderDigest({ ...data, audience: 'admins' })).toThrow(/^review: only the compliance digest/);
    expect(() => renderDigest({ ...data, review: { ...review, id: 0 } })).toThrow(InputError);
    expect(() => renderDigest({ ...data, review: { ...review, dueOn: 'soon' } })).toThrow(/review\.dueOn/);
    expect(() => renderDigest({ ...data, review: { ...review, undecided: -1 } })).toThrow(/review\.undecided/);
  });
});
