/**
 * A real SMTP server for a test (smtp-server on port 0, no TLS, no auth):
 * every message is parsed with mailparser into `inbox`; a recipient put in
 * `refuseOnce` has its next RCPT TO refused with a 450 (a send that fails);
 * a recipient in `hold` has its RCPT TO never answered (a sender hangs there
 * until it gives up or dies, and nothing is delivered).
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Received {
  raw: string;
  mail: ParsedMail;
  /** The envelope's recipients. */
  to: string[];
}

export interface TestSmtp {
  /** `SMTP_URL` for it. */
  url: string;
  inbox: Received[];
  refuseOnce: Set<string>;
  hold: Set<string>;
  close(): Promise<void>;
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const inbox: Received[] = [];
  const refuseOnce = new Set<string>();
  const hold = new Set<string>();
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onRcptTo(address, _session, cb) {
      if (refuseOnce.delete(address.address)) return cb(Object.assign(new Error('mailbox busy, try later'), { responseCode: 450 }));
      if (hold.has(address.address)) return;
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((mail) => {
            inbox.push({ raw: raw.toString('utf8'), mail, to: session.envelope.rcptTo.map((r) => r.address) });
            cb();
          })
          .catch((err: Error) => cb(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}?tls=none`,
    inbox,
    refuseOnce,
    hold,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
