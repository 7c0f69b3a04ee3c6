import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { digestAttachments, renderDigest, type DigestData } from '../../../src/mail/templates/digest.template.js';
import { EMAIL_MASK } from '../../../src/mail/templates/mask.js';
import { CSV_COLUMNS } from '../../../src/report/findings.format.js';
import { SEVERITY_RANK } from '../../../src/rules/types.js';
import {
  CUSTOMER_EMAIL,
  FAKE_TOKEN,
  acmeDigestData,
  acmeEmails,
  acmeFindings,
  makeFinding,
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

  it('promises only what exists: no approvals, and no links without WARDEN_PUBLIC_URL (test/unit/mail/digest-links.test.ts has them)', () => {
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
