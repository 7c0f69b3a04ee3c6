// The digest writes each finding's CSV record once per run for all its audiences
// (DigestCsvRows) and runs the email regex only over text holding an `@`: no email
// may change by a byte. A hostile tenant (test/support/digest-hostile.ts: addresses
// next to commas, quotes and line breaks, formula-leading cells, markup, control
// characters, `@`s that are no address) is sent as the digest job sends it, to an
// outbox folder, and what each audience's email carried is compared with:
// - the emails the build before the change sent for the same run (subject, HTML, text
//   and CSV attachment), recorded in test/fixtures/digest-hostile.emails.json by
//   commit de71a2b's sendDigest, each audience with its own unshared CSV. A change of
//   the digest's format on purpose records them again the same way;
// - the former CSV algorithm, kept below (toCsv per finding, then the regex over the
//   whole file), in the job's audience order and the reverse one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsFor } from '../../../src/audit/digest-findings.js';
import { sendDigest } from '../../../src/mail/send-digest.js';
import { digestAttachments, DigestCsvRows, type DigestData, type DigestFindings } from '../../../src/mail/templates/digest.template.js';
import { EMAIL_MASK, maskEmails } from '../../../src/mail/templates/mask.js';
import { createMailer, type Mailer, type MailMessage } from '../../../src/mail/transports.js';
import { toCsv } from '../../../src/report/findings.format.js';
import { compareFindings } from '../../../src/rules/engine.js';
import { hostileDigestFindings, hostileDigestRun } from '../../support/digest-hostile.js';

/** The email regex as it was, applied to the whole text. */
function formerMaskEmails(text: string): string {
  return text.replace(/[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[^\s@<>"'(),;:]+/g, EMAIL_MASK);
}

/** The digest's CSV as it was written: every record with its own toCsv call, then the file masked at once. */
function formerStatusCsv(findings: DigestFindings): string {
  const header = toCsv([]);
  const out = [`status,${header}`];
  for (const [status, key] of [['new', 'created'], ['persisting', 'persisting'], ['resolved', 'resolved']] as const) {
    for (const f of [...findings[key]].sort(compareFindings)) out.push(`${status},${toCsv([f]).slice(header.length)}`);
  }
  return formerMaskEmails(out.join(''));
}

interface RecordedEmail {
  audience: string;
  subject: string;
  html: string;
  text: string;
  attachments: MailMessage['attachments'];
}

const recorded = JSON.parse(readFileSync(new URL('../../fixtures/digest-hostile.emails.json', import.meta.url), 'utf8')) as RecordedEmail[];

const tmp = mkdtempSync(join(tmpdir(), 'warden-digest-identical-'));
let mailer: Mailer;
/** What each send gave the mailer, in order. */
const sent: MailMessage[] = [];

beforeAll(() => {
  const outbox = createMailer({ outboxDir: join(tmp, 'outbox') });
  mailer = { ...outbox, send: (m) => (sent.push(m), outbox.send(m)), close: () => outbox.close() };
});
afterAll(() => {
  mailer.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** One digest run as jobs/digest.job.ts sends it: one DigestCsvRows shared by the audiences, in the run's order. */
async function sendRun(run: readonly DigestData[]): Promise<MailMessage[]> {
  sent.length = 0;
  const csvRows = new DigestCsvRows();
  for (const data of run) await sendDigest(mailer, { from: 'Warden <warden@warden.example>', to: `${data.audience}@warden.example`, data, csvRows });
  return [...sent];
}

describe('the digest emails of a hostile tenant', () => {
  it('get different shares of the findings, with addresses to mask in each', () => {
    const run = hostileDigestRun();
    const counts = run.map((d) => d.findings.created.length + d.findings.persisting.length + d.findings.resolved.length);
    expect(new Set(counts).size).toBe(3);
    for (const email of recorded) expect(email.attachments![0]!.content).toContain(EMAIL_MASK);
  });

  it('are, for every audience, byte for byte the emails the build before the change sent: subject, HTML, text and CSV', async () => {
    const emails = await sendRun(hostileDigestRun());
    expect(emails.map((m) => m.to)).toEqual(recorded.map((r) => [`${r.audience}@warden.example`]));
    for (const [i, m] of emails.entries()) {
      const before = recorded[i]!;
      expect(m.subject, before.audience).toBe(before.subject);
      expect(m.html, before.audience).toBe(before.html);
      expect(m.text, before.audience).toBe(before.text);
      expect(m.attachments, before.audience).toEqual(before.attachments);
    }
  });

  it('carry the CSV the former algorithm writes, whichever audience builds the shared records first', async () => {
    for (const run of [hostileDigestRun(), hostileDigestRun().reverse()]) {
      const emails = await sendRun(run);
      for (const [i, data] of run.entries()) {
        expect(emails[i]!.attachments![0]!.content, data.audience).toBe(formerStatusCsv(data.findings));
      }
    }
  });

  it('keeps the former CSV when the records were built for more findings than the audience gets, or not shared at all', () => {
    const all = hostileDigestFindings();
    const [compliance, admins] = hostileDigestRun();
    const rows = new DigestCsvRows();
    expect(digestAttachments({ ...compliance!, findings: all }, rows)[0]!.content).toBe(formerStatusCsv(all));
    const share = findingsFor('admins', all);
    expect(digestAttachments({ ...admins!, findings: share }, rows)[0]!.content).toBe(formerStatusCsv(share));
    expect(digestAttachments(compliance!)[0]!.content).toBe(formerStatusCsv(compliance!.findings));
  });
});

describe('maskEmails', () => {
  it('masks exactly as the regex over the whole text did, with and without an @', () => {
    const findings = hostileDigestFindings();
    const texts = [...findings.created, ...findings.persisting, ...findings.resolved].flatMap((f) => [
      f.subject.label,
      f.title,
      JSON.stringify(f.evidence),
      toCsv([f]),
    ]);
    const csv = formerStatusCsv({ created: [], persisting: [], resolved: [] }) + texts.join('\n');
    for (const text of [...texts, csv, '', '@', 'a@b', 'a@b.c', 'no address, here\nat all', 'ｊ＠ｅｘａｍｐｌｅ．ｃｏｍ']) {
      expect(maskEmails(text), JSON.stringify(text)).toBe(formerMaskEmails(text));
    }
    expect(texts.some((t) => !t.includes('@'))).toBe(true);
    expect(texts.some((t) => maskEmails(t) !== t)).toBe(true);
  });
});
