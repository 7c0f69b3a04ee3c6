/**
 * Where email goes: SMTP in production (`SMTP_URL`), or by default an outbox
 * folder of RFC 822 `.eml` files (`WARDEN_OUTBOX`, `./outbox`), so a laptop with
 * nothing installed still shows every email the product would send.
 *
 * The only module that imports nodemailer. Errors it throws are safe to log:
 * they never carry the SMTP password, and email addresses in a server's reply
 * are masked.
 */
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { createTransport } from 'nodemailer';
import type { Config } from '../config.js';
import { connectionReason, InputError, ServiceUnavailableError } from '../errors.js';
import { ensureWritableFolder } from '../local-folder.js';
import { maskEmails } from './templates/mask.js';

export interface MailerConfig {
  /**
   * `smtp://user:pass@host[:port]` (STARTTLS, port 587) or `smtps://user:pass@host[:port]`
   * (TLS from the first byte, port 465); user and password percent-encoded.
   * `?tls=required` (the default for smtp://) refuses to send without STARTTLS;
   * `?tls=opportunistic` upgrades when offered; `?tls=none` never upgrades (a local
   * mail catcher only). When unset, mail goes to the outbox folder.
   * @defaultValue undefined
   */
  smtpUrl?: string;
  /**
   * Folder of `.eml` files, created when missing; used when `smtpUrl` is unset.
   * @defaultValue `'./outbox'`
   */
  outboxDir?: string;
  /**
   * Extra TLS options for SMTP, e.g. `ca` for a relay signed by a private CA.
   * @defaultValue undefined: the system's trusted CAs, certificates verified
   */
  tls?: ConnectionOptions;
  /**
   * Connection, greeting and socket timeouts for SMTP, in milliseconds.
   * @defaultValue 30000
   */
  timeoutMs?: number;
}

/**
 * A message ready to send. `attachments` are text (the CSV of a digest) or
 * bytes (an evidence pack's files), which are sent base64-encoded so that they
 * arrive exactly as given: their hashes must still match.
 */
export interface MailMessage {
  from: string;
  to: string | readonly string[];
  subject: string;
  text: string;
  html: string;
  attachments?: readonly { filename: string; contentType: string; content: string | Buffer }[];
}

/** Where a message went. */
export type Delivery =
  | { transport: 'smtp'; messageId: string }
  | { transport: 'outbox'; messageId: string; path: string };

export interface Mailer {
  readonly transport: 'smtp' | 'outbox';
  /** Where mail goes, without credentials: `smtp://host:port` or the outbox folder's path. */
  readonly destination: string;
  send(message: MailMessage): Promise<Delivery>;
  /** Closes pooled connections; the mailer cannot send afterwards. */
  close(): void;
  /**
   * SMTP only: one bounded connection (and login) to the server, made when a
   * mail-sending process starts (docs/operations.md "Services down").
   * @throws ServiceUnavailableError naming `SMTP_URL`
   */
  verify?(timeoutMs?: number): Promise<void>;
}

/** How long a mail-sending process waits for SMTP at start-up. */
export const SMTP_CHECK_TIMEOUT_MS = 5_000;

/** SMTP refused or failed to take a message. The message is safe to log. */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';
  constructor(
    /** nodemailer's error code, e.g. `EAUTH`, `EENVELOPE`, `ECONNECTION`, `ETLS`. */
    readonly code: string,
    /** The SMTP reply code, when the server answered. */
    readonly responseCode: number | undefined,
    detail: string,
  ) {
    super(`mail delivery failed (${code}${responseCode ? ` ${responseCode}` : ''}): ${detail}`);
  }
}

export const DEFAULT_OUTBOX = './outbox';
const TLS_MODES = ['required', 'opportunistic', 'none'] as const;

/** The mailer's config from the validated environment (src/config.ts): `SMTP_URL`, `WARDEN_OUTBOX`. */
export function mailerConfigOf(config: Partial<Pick<Config, 'SMTP_URL' | 'WARDEN_OUTBOX'>>): MailerConfig {
  return { smtpUrl: config.SMTP_URL || undefined, outboxDir: config.WARDEN_OUTBOX || undefined };
}

/** SMTP when `smtpUrl` is set, else the outbox folder. A bad URL is an InputError naming `SMTP_URL`. */
export function createMailer(config: MailerConfig = {}): Mailer {
  return config.smtpUrl ? smtpMailer(config.smtpUrl, config) : outboxMailer(config.outboxDir ?? DEFAULT_OUTBOX);
}

interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  tls: (typeof TLS_MODES)[number];
  auth: { user: string; pass: string } | undefined;
}

/** Parses `SMTP_URL`; problems never quote the URL, which holds a password. */
export function parseSmtpUrl(raw: string): SmtpSettings {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError('SMTP_URL', 'not a URL (expected smtp://user:pass@host:port or smtps://…)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new InputError('SMTP_URL', 'must start with smtp:// or smtps://');
  }
  if (!url.hostname) throw new InputError('SMTP_URL', 'has no host');
  const secure = url.protocol === 'smtps:';
  let tls: SmtpSettings['tls'] = secure ? 'none' : 'required';
  for (const [key, value] of url.searchParams) {
    if (key !== 'tls') throw new InputError('SMTP_URL', `unknown parameter '${key}' (only tls= is understood)`);
    if (!(TLS_MODES as readonly string[]).includes(value)) {
      throw new InputError('SMTP_URL', `tls must be one of ${TLS_MODES.join(', ')}`);
    }
    if (secure) throw new InputError('SMTP_URL', 'tls= applies to smtp:// only; smtps:// is always TLS');
    tls = value as SmtpSettings['tls'];
  }
  let auth: SmtpSettings['auth'];
  try {
    auth = url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined;
  } catch {
    throw new InputError('SMTP_URL', 'user or password is not valid percent-encoding');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port ? Number(url.port) : secure ? 465 : 587, secure, tls, auth };
}

function smtpMailer(raw: string, config: MailerConfig): Mailer {
  const s = parseSmtpUrl(raw);
  const timeout = config.timeoutMs ?? 30_000;
  const transport = createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    requireTLS: s.tls === 'required',
    ignoreTLS: s.tls === 'none' && !s.secure,
    auth: s.auth,
    tls: config.tls,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    transport: 'smtp',
    destination: `${s.secure ? 'smtps' : 'smtp'}://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`,
    async send(message) {
      try {
        const info = await transport.sendMail(toNodemailer(message));
        return { transport: 'smtp', messageId: info.messageId };
      } catch (err) {
        throw deliveryError(err);
      }
    },
    close: () => transport.close(),
    async verify(timeoutMs = SMTP_CHECK_TIMEOUT_MS) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs)));
      try {
        await Promise.race([transport.verify(), timedOut]);
      } catch (err) {
        // nodemailer's code is its own (ESOCKET); the socket's, in "connect ECONNREFUSED …", says more.
        const socket = /\b(?:connect|getaddrinfo) (E[A-Z]+)\b/.exec(err instanceof Error ? err.message : '')?.[1];
        throw new ServiceUnavailableError('SMTP_URL', `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`, socket ?? connectionReason(err));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function deliveryError(err: unknown): MailDeliveryError {
  const e = err as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'EUNKNOWN';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // The server's reply says why; nodemailer's own message can quote recipients. Both get masked.
  const detail = typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : 'unknown error';
  return new MailDeliveryError(code, responseCode, maskEmails(detail).slice(0, 300));
}

/** The mode of an outbox `.eml` file: owner only (the folder, when Warden makes it, is 0700). */
export const OUTBOX_FILE_MODE = 0o600;

/** Orders files written in the same millisecond by one process. */
let outboxSeq = 0;

/**
 * `20261129T093000123Z-000001-3fa9c2d1.eml`: UTC time to the millisecond (sorts by
 * time), a per-process sequence (sorts within a millisecond), random hex (unique
 * across processes).
 */
export function outboxFileName(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  outboxSeq = (outboxSeq + 1) % 1_000_000;
  return `${stamp}-${String(outboxSeq).padStart(6, '0')}-${randomBytes(4).toString('hex')}.eml`;
}

function outboxMailer(dir: string): Mailer {
  const folder = resolve(dir);
  // CRLF line ends: an .eml is an RFC 822 message, and mail clients expect them. nodemailer writes its
  // headers, boundaries and base64 lines with CRLF already, and toNodemailer gives it the text and HTML
  // with CRLF, so no `newline: 'windows'` pass: that option runs a byte-by-byte loop in JavaScript over
  // the whole message, attachments included (about a third of a send for a large tenant's digest,
  // whose CSV runs to megabytes; README, "Speed").
  const transport = createTransport({ streamTransport: true, buffer: true });
  return {
    transport: 'outbox',
    destination: folder,
    async send(message) {
      const info = await transport.sendMail(toNodemailer(message));
      if (!Buffer.isBuffer(info.message)) throw new Error('nodemailer stream transport did not buffer the message');
      ensureWritableFolder(folder, 'WARDEN_OUTBOX');
      const path = join(folder, outboxFileName(new Date()));
      // Written aside and renamed, so a reader of *.eml never sees half a message.
      // 0600: a digest carries every finding's evidence, as private as secret.key.
      const partial = `${path}.partial`;
      await writeFile(partial, info.message, { flag: 'wx', mode: OUTBOX_FILE_MODE });
      await rename(partial, path);
      return { transport: 'outbox', messageId: info.messageId, path };
    },
    close: () => transport.close(),
  };
}

function toNodemailer(m: MailMessage) {
  return {
    from: m.from,
    to: typeof m.to === 'string' ? m.to : [...m.to],
    subject: m.subject,
    // CRLF before encoding, as RFC 5322 has it: quoted-printable then wraps the lines as they will be
    // sent. The outbox writes the message as nodemailer gives it (outboxMailer); SMTP would convert.
    text: crlf(m.text),
    html: crlf(m.html),
    attachments: (m.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      // Bytes go base64: no line-end conversion or re-wrapping can touch them on the way.
      ...(Buffer.isBuffer(a.content) ? { contentTransferEncoding: 'base64' as const } : {}),
    })),
  };
}

/** Every line end as CRLF (a lone CR or LF, or one already CRLF). */
function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}
