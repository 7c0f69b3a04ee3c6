/** Sends the engineers' erasure emails: the pure template renders them, a mailer delivers them. */
import type { SendOptions } from './send-approvals.js';
import { renderErasureAlert, type ErasureAlertMail } from './templates/erasure-alert.template.js';
import type { Delivery, Mailer } from './transports.js';

/** The engineers' email about erasure requests (failed, reappeared, deadlines). */
export async function sendErasureAlert(mailer: Mailer, { from, to, data, logger }: SendOptions<ErasureAlertMail>): Promise<Delivery> {
  const delivery = await mailer.send({ from, to: [...to], ...renderErasureAlert(data) });
  logger?.info({ email: data.kind, transport: delivery.transport, message_id: delivery.messageId }, 'erasure email sent');
  return delivery;
}
