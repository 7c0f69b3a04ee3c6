// A digest built from hostile names, written to the outbox and read back as a mail client would:
// the CSV attachment escapes formula-leading cells, and the subject, text and HTML parts show
// control characters as `\uXXXX` (src/text/sanitize.ts), never carry them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDigest } from '../../../src/mail/send-digest.js';
import { createMailer } from '../../../src/mail/transports.js';
import { AS_OF, daysAgo, snapshot } from '../../support/snapshot-builder.js';

const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\rfake: 0 open\u202egnp.exe';
const FORMULA_NAMES = ['=HYPERLINK("http://evil.example","x")', '+1+cmd', '-2+3', '@SUM(A1:A9)', '\tTAB lead', '\rCR lead'];

const tmp = mkdtempSync(join(tmpdir(), 'warden-hostile-mail-'));
let mail: ParsedMail;

beforeAll(async () => {
  const b = snapshot(`shop ${HOSTILE}`);
  // Tokens owned by no account (TOK-07) and accounts unused for 400 days, named to attack.
  FORMULA_NAMES.forEach((name, i) => b.token({ id: `tok_${i}`, name, user_id: 999 }).user({ id: 100 + i, name, created_at: daysAgo(400) }));
  b.token({ id: 'tok_esc', name: HOSTILE, user_id: 999 });
  const result = b.check();
  const mailer = createMailer({ outboxDir: join(tmp, 'outbox') });
  try {
    const delivery = await sendDigest(mailer, {
      from: 'Warden <warden@acme.example>',
      to: 'compliance@acme.example',
      data: { tenant: result.tenant, audience: 'compliance', asOf: AS_OF, findings: { created: result.findings, persisting: [], resolved: [] }, topN: 50 },
    });
    if (delivery.transport !== 'outbox') throw new Error('expected an outbox delivery');
    mail = await simpleParser(readFileSync(delivery.path));
  } finally {
    mailer.close();
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Control characters (C0, DEL, C1, bidi controls) in `text`, except newlines. */
function controls(text: string): string[] {
  return [...text].filter((ch) => /[\p{Cc}\p{Bidi_Control}]/u.test(ch) && ch !== '\n');
}

describe('a digest of hostile names', () => {
  it('escapes every formula-leading cell of its CSV attachment, read back with csv-parse', () => {
    expect(mail.attachments).toHaveLength(1);
    const rows: string[][] = parse(mail.attachments[0]!.content.toString('utf8'));
    const label = rows[0]!.indexOf('subject_label');
    const labels = new Set(rows.slice(1).map((r) => r[label]));
    for (const name of FORMULA_NAMES) {
      expect(labels.has(`'${name}`), JSON.stringify(name)).toBe(true);
      expect(labels.has(name), JSON.stringify(name)).toBe(false);
    }
    for (const row of rows) for (const cell of row) expect(cell, JSON.stringify(cell)).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('carries no control character in its subject, text or HTML part', () => {
    expect(mail.subject).toContain('shop \\u001b]0;pwned\\u0007\\u001b[2J fake: 0 open\\u202egnp.exe');
    expect(controls(mail.subject ?? '')).toEqual([]);
    const text = (mail.text ?? '').replace(/\r\n/g, '\n');
    const html = typeof mail.html === 'string' ? mail.html.replace(/\r\n/g, '\n') : '';
    expect(html).toContain('<table id="top-findings"');
    for (const part of [text, html]) {
      expect(controls(part)).toEqual([]);
      // The token's name and the tenant's are shown: ESC, BEL and the bidi override as \uXXXX.
      expect(part).toContain('\\u001b]0;pwned\\u0007\\u001b[2J');
      expect(part).toContain('\\u202egnp.exe');
    }
  });
});
