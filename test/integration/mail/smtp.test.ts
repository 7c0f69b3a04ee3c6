// The digest through real transports: a real SMTP server started here (smtp-server,
// port 0, AUTH required, STARTTLS with a throwaway certificate made by openssl that the
// client trusts through `tls.ca`, so the certificate really is verified), and the
// outbox folder. Messages are parsed with mailparser and asserted part by part.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log/logger.js';
import { sendDigest } from '../../../src/mail/send-digest.js';
import type { DigestData } from '../../../src/mail/templates/digest.template.js';
import { createMailer, MailDeliveryError, type MailerConfig } from '../../../src/mail/transports.js';
import { evaluate } from '../../../src/rules/engine.js';
import { parsePolicy } from '../../../src/rules/policy.js';
import { parseSnapshot } from '../../../src/rules/snapshot.js';
import { parseInstant } from '../../../src/rules/time.js';
import {
  ACME_AS_OF,
  CUSTOMER_EMAIL,
  FAKE_TOKEN,
  acmeDigestData,
  acmeEmails,
  acmeSnapshot,
} from '../../support/digest-data.js';
import { duplicateKeys } from '../../support/json-keys.js';

const USER = 'warden@relay.test';
const PASS = 'p@ss word/42';
const FROM = 'Warden <warden@acme.example>';
const TO = 'compliance-team@acme.example';

interface Smtp {
  port: number;
  messages: ParsedMail[];
  /** One entry per AUTH attempt: was the connection encrypted at that point? */
  auths: { secure: boolean; ok: boolean }[];
  close: () => Promise<void>;
}

async function startSmtp(options: SMTPServerOptions): Promise<Smtp> {
  const messages: ParsedMail[] = [];
  const auths: Smtp['auths'] = [];
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    ...options,
    onAuth(auth, session, cb) {
      const ok = auth.username === USER && auth.password === PASS;
      auths.push({ secure: session.secure, ok });
      cb(ok ? null : new Error('Invalid username or password'), ok ? { user: auth.username } : undefined);
    },
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, messages, auths, close: () => new Promise<void>((resolve) => server.close(resolve)) };
}

const tmp = mkdtempSync(join(tmpdir(), 'warden-mail-'));
let cert: string;
let key: string;
let smtp: Smtp;
let plain: Smtp;

beforeAll(async () => {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem'),
  ], { stdio: 'ignore' });
  cert = readFileSync(join(tmp, 'cert.pem'), 'utf8');
  key = readFileSync(join(tmp, 'key.pem'), 'utf8');
  smtp = await startSmtp({ key, cert });
  // A server that offers no STARTTLS and would take a password in the clear.
  plain = await startSmtp({ disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
});

afterAll(async () => {
  await Promise.all([smtp?.close(), plain?.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

const smtpUrl = (port: number, pass = PASS) =>
  `smtp://${encodeURIComponent(USER)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`;

/** Sends one digest and closes the mailer, whatever happens. */
async function send(config: MailerConfig, data: DigestData) {
  const mailer = createMailer(config);
  try {
    return await sendDigest(mailer, { from: FROM, to: TO, data });
  } finally {
    mailer.close();
  }
}

function csvRows(mail: ParsedMail): Record<string, string>[] {
  expect(mail.attachments).toHaveLength(1);
  return parse<Record<string, string>>(mail.attachments[0]!.content.toString('utf8'), { columns: true });
}

/** Every part a reader or a mail archive gets, decoded. */
function allParts(mail: ParsedMail): string[] {
  return [mail.subject ?? '', mail.html || '', mail.text ?? '', ...mail.attachments.map((a) => a.content.toString('utf8'))];
}

describe('digest over SMTP', () => {
  afterEach(() => {
    smtp.messages.length = 0;
    smtp.auths.length = 0;
    plain.auths.length = 0;
  });

  it('authenticates after STARTTLS and delivers HTML, text and the CSV of every finding', async () => {
    const data = acmeDigestData();
    const delivery = await send({ smtpUrl: smtpUrl(smtp.port), tls: { ca: cert } }, data);

    expect(delivery.transport).toBe('smtp');
    expect(smtp.auths).toEqual([{ secure: true, ok: true }]);
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.messageId).toBe(delivery.messageId);
    expect(mail.subject).toBe('[Warden] acme: 31 open (8 critical), 7 new, 2 resolved - Compliance digest 2026-11-29');
    expect(mail.html).toContain('id="top-findings"');
    expect(mail.text).toContain('Since the previous run: 7 new, 24 persisting, 2 resolved.');
    expect(mail.attachments[0]).toMatchObject({ filename: 'warden-acme-2026-11-29.csv', contentType: 'text/csv' });
    const rows = csvRows(mail);
    const { created, persisting, resolved } = data.findings;
    expect(rows).toHaveLength(created.length + persisting.length + resolved.length);
    expect(rows.map((r) => r.fingerprint)).toEqual(expect.arrayContaining(resolved.map((f) => f.fingerprint)));
  });

  it('carries no customer data in any part, and no secret value in the body', async () => {
    await send({ smtpUrl: smtpUrl(smtp.port), tls: { ca: cert } }, acmeDigestData());
    const mail = smtp.messages[0]!;
    for (const part of allParts(mail)) {
      expect(part).not.toContain(CUSTOMER_EMAIL);
      for (const email of acmeEmails()) expect(part.toLowerCase()).not.toContain(email.toLowerCase());
    }
    for (const part of [mail.subject ?? '', mail.html || '', mail.text ?? '']) expect(part).not.toContain(FAKE_TOKEN);
  });

  it('carries no secret value anywhere when the snapshot holds one', async () => {
    // Secret values and token strings put where a careless gatherer might leave them.
    const snap = acmeSnapshot() as { omneo: { tokens: Record<string, unknown>[] }; secrets: Record<string, unknown>[] };
    for (const t of snap.omneo.tokens) t.token = FAKE_TOKEN;
    for (const s of snap.secrets) s.value = FAKE_TOKEN;
    const findings = evaluate(parseSnapshot(snap), parsePolicy({}), parseInstant(ACME_AS_OF)!).findings;
    expect(findings.length).toBeGreaterThan(20);
    await send(
      { smtpUrl: smtpUrl(smtp.port), tls: { ca: cert } },
      { tenant: 'acme', audience: 'engineers', asOf: ACME_AS_OF, findings: { created: findings, persisting: [], resolved: [] } },
    );
    const mail = smtp.messages[0]!;
    expect(csvRows(mail)).toHaveLength(findings.length);
    for (const part of allParts(mail)) expect(part).not.toContain(FAKE_TOKEN);
  });

  it('refuses a wrong password with an error that names neither password nor recipient', async () => {
    const err = await send({ smtpUrl: smtpUrl(smtp.port, 'wrong-secret'), tls: { ca: cert } }, acmeDigestData()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MailDeliveryError);
    expect((err as MailDeliveryError).code).toBe('EAUTH');
    expect((err as Error).message).not.toContain('wrong-secret');
    expect((err as Error).message).not.toContain(TO);
    expect(smtp.auths).toEqual([{ secure: true, ok: false }]);
    expect(smtp.messages).toHaveLength(0);
  });

  it('verifies the server certificate by default', async () => {
    const err = await send({ smtpUrl: smtpUrl(smtp.port) }, acmeDigestData()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailDeliveryError);
    expect((err as Error).message).toMatch(/self-signed certificate/);
    expect(smtp.auths).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });

  it('never sends the password over a connection that did not upgrade to TLS', async () => {
    const err = await send({ smtpUrl: smtpUrl(plain.port) }, acmeDigestData()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailDeliveryError);
    expect((err as MailDeliveryError).code).toBe('ETLS');
    expect((err as Error).message).not.toContain(PASS);
    expect(plain.auths).toHaveLength(0);
    expect(plain.messages).toHaveLength(0);
  });
});

describe('digest to the outbox folder', () => {
  const dir = join(tmp, 'outbox');

  it('writes each message as a parseable .eml, named in the order sent', async () => {
    const first = await send({ outboxDir: dir }, acmeDigestData());
    const second = await send({ outboxDir: dir }, acmeDigestData({ audience: 'admins' }));
    if (first.transport !== 'outbox' || second.transport !== 'outbox') throw new Error('expected outbox deliveries');

    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    expect(files.every((f) => /^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{8}\.eml$/.test(f))).toBe(true);
    expect([...files].sort()).toEqual([first.path, second.path].map((p) => p.slice(dir.length + 1)));

    const raw = readFileSync(second.path);
    expect(raw.toString('latin1')).toMatch(/^[\x20-\x7e]+:.*\r\n/);
    const mail = await simpleParser(raw);
    expect(mail.messageId).toBe(second.messageId);
    expect(mail.subject).toContain('Admin digest');
    expect(mail.html).toContain('id="severity-counts"');
    expect(mail.text).toContain('Open findings: 31');
    const data = acmeDigestData();
    expect(csvRows(mail)).toHaveLength(
      data.findings.created.length + data.findings.persisting.length + data.findings.resolved.length,
    );
    for (const part of allParts(mail)) expect(part).not.toContain(CUSTOMER_EMAIL);
  });

  it('writes each file 0600 in a folder it makes 0700 (parents too): a digest carries every finding\'s evidence', async () => {
    const made = join(tmp, 'private', 'outbox');
    const delivery = await send({ outboxDir: made }, acmeDigestData());
    if (delivery.transport !== 'outbox') throw new Error('expected an outbox delivery');
    expect(statSync(join(tmp, 'private')).mode & 0o777).toBe(0o700);
    expect(statSync(made).mode & 0o777).toBe(0o700);
    expect(statSync(delivery.path).mode & 0o777).toBe(0o600);
    // A folder that exists keeps its mode (it may be shared on purpose); the files are 0600 all the same.
    const shared = join(tmp, 'shared-outbox');
    mkdirSync(shared, { mode: 0o755 });
    const second = await send({ outboxDir: shared }, acmeDigestData());
    if (second.transport !== 'outbox') throw new Error('expected an outbox delivery');
    expect(statSync(shared).mode & 0o777).toBe(0o755);
    expect(statSync(second.path).mode & 0o777).toBe(0o600);
  });

  it('logs one line per digest, without recipients or findings', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const mailer = createMailer({ outboxDir: join(tmp, 'outbox-logged') });
    // Bound to the tenant, as a job's ctx.log is: the line names the tenant once, from the binding.
    const logger = createLogger({ level: 'info' }, sink).child({ tenant: 'acme' });
    const delivery = await sendDigest(mailer, { from: FROM, to: [TO, 'second@acme.example'], data: acmeDigestData(), logger });
    mailer.close();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(duplicateKeys(lines[0]!)).toEqual([]);
    expect(line).toMatchObject({
      msg: 'digest sent', tenant: 'acme', audience: 'compliance', recipients: 2,
      new: 7, persisting: 24, resolved: 2, transport: 'outbox', message_id: delivery.messageId,
    });
    for (const needle of [TO, 'second@acme.example', CUSTOMER_EMAIL, FAKE_TOKEN, 'Bob Stone']) expect(lines[0]).not.toContain(needle);
    // The Message-ID is <random@sender-domain>; nothing else in the line may look like an address.
    expect(JSON.stringify({ ...line, message_id: undefined })).not.toContain('@');
  });

  it('writes nothing when the data is bad', async () => {
    const bad = join(tmp, 'outbox-bad');
    await expect(send({ outboxDir: bad }, acmeDigestData({ asOf: 'not a date' }))).rejects.toThrow(/asOf/);
    expect(() => readdirSync(bad)).toThrow(/ENOENT/);
  });
});
