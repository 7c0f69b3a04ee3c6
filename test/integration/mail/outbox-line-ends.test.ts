// An outbox .eml is an RFC 5322 message: every line ends in CRLF, and no CR or LF
// stands alone. The outbox transport no longer runs nodemailer's `newline` pass over
// the whole message (src/mail/transports.ts); this checks the file itself, for a
// body with every kind of line end, and that the attachments still arrive byte for
// byte (a CSV keeps its own LF record ends inside base64).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { createMailer } from '../../../src/mail/transports.js';

const tmp = mkdtempSync(join(tmpdir(), 'warden-outbox-line-ends-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Offsets of a CR not followed by LF, or an LF not after a CR. */
function loneLineEnds(raw: Buffer): number[] {
  const lone: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x0d && raw[i + 1] !== 0x0a) lone.push(i);
    if (raw[i] === 0x0a && raw[i - 1] !== 0x0d) lone.push(i);
  }
  return lone;
}

describe('outbox line ends', () => {
  // Plain ASCII goes 7bit, mostly Latin text quoted-printable, mostly non-Latin base64:
  // each encoding of nodemailer's sees the mixed line ends.
  const bodies = {
    '7bit': 'first line\nsecond line\r\nthird\rfourth\n\nlast',
    'quoted-printable': `Résumé of findings\n${'a long line that quoted-printable has to wrap, '.repeat(6)}\r\n= sign\rend\n`,
    base64: 'Отчёт\nпо находкам\r\nконец\rвсё\n',
  };

  for (const [encoding, text] of Object.entries(bodies)) {
    it(`writes CRLF only, with a ${encoding} body, and the attachments as given`, async () => {
      const dir = join(tmp, encoding);
      const mailer = createMailer({ outboxDir: dir });
      const csv = 'status,name\nnew,"a\nb"\nresolved,c\n';
      const bytes = Buffer.from([0x00, 0x0a, 0x0d, 0xff, 0x0a]);
      try {
        await mailer.send({
          from: 'Warden <warden@example.test>',
          to: 'officer@example.test',
          subject: 'Line ends',
          text,
          html: `<p>${text.replace(/\r\n|\r|\n/g, '<br>\n')}</p>\n`,
          attachments: [
            { filename: 'findings.csv', contentType: 'text/csv; charset=utf-8', content: csv },
            { filename: 'blob.bin', contentType: 'application/octet-stream', content: bytes },
          ],
        });
      } finally {
        mailer.close();
      }
      const [file] = readdirSync(dir);
      const raw = readFileSync(join(dir, file!));
      expect(raw.toString('latin1')).toMatch(new RegExp(`Content-Transfer-Encoding: ${encoding}\\r\\n`));
      expect(loneLineEnds(raw)).toEqual([]);

      const mail = await simpleParser(raw);
      // Each line end of the body comes back as one line end, in its place (mailparser gives them as LF).
      expect(mail.text).toBe(text.replace(/\r\n|\r|\n/g, '\n'));
      expect(mail.attachments.map((a) => [a.filename, a.content.toString('latin1')])).toEqual([
        ['findings.csv', csv],
        ['blob.bin', bytes.toString('latin1')],
      ]);
    });
  }
});
