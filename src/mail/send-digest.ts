/** Sends one digest: the pure template renders it, a mailer delivers it. */
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { digestEmail, type DigestCsvRows, type DigestData } from './templates/digest.template.js';
import type { Delivery, Mailer } from './transports.js';

export interface SendDigestOptions {
  /** The sender, e.g. `Warden <warden@example.com>`. */
  from: string;
  /** The audience's mailbox(es). */
  to: string | readonly string[];
  data: DigestData;
  /**
   * Gets one `info` line per digest sent: audience, counts, where it went.
   * Never the recipients, the subject line or any finding. The line does not
   * repeat the tenant: pass a logger bound to it (a job's `ctx.log` is), or the
   * key would appear twice in one JSON line.
   * @defaultValue undefined: nothing is logged
   */
  logger?: Logger;
  /**
   * The CSV records of the digest run this email is part of: create one per run and give it
   * to each audience's email, so that a finding's record is written once for all of them.
   * @defaultValue new ones, built for this email only
   */
  csvRows?: DigestCsvRows;
}

/**
 * Renders the digest (HTML, text, CSV of all findings) and sends it.
 * Returns where it went: the SMTP message id, or the `.eml` file's path.
 * Bad data or no recipient is an InputError, raised before anything is sent.
 */
export async function sendDigest(mailer: Mailer, { from, to, data, logger, csvRows }: SendDigestOptions): Promise<Delivery> {
  if (from.trim() === '') throw new InputError('from', 'must not be empty');
  const recipients = (typeof to === 'string' ? [to] : [...to]).filter((r) => r.trim() !== '');
  if (recipients.length === 0) throw new InputError('to', 'needs at least one recipient');
  const { subject, html, text, attachments } = digestEmail(data, csvRows);
  const delivery = await mailer.send({ from, to: recipients, subject, html, text, attachments });
  const { created, persisting, resolved } = data.findings;
  logger?.info(
    {
      audience: data.audience,
      recipients: recipients.length,
      new: created.length,
      persisting: persisting.length,
      resolved: resolved.length,
      transport: delivery.transport,
      message_id: delivery.messageId,
      ...(delivery.transport === 'outbox' ? { file: delivery.path } : {}),
    },
    'digest sent',
  );
  return delivery;
}
