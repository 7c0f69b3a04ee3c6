/** Sends an admin's rotation request: the pure template renders it, a mailer delivers it. */
import type { SendOptions } from './send-approvals.js';
import { renderRetrievalLink, renderRotationRequest, type RetrievalLinkMail, type RotationRequestMail } from './templates/rotation-request.template.js';
import type { Delivery, Mailer } from './transports.js';

export async function sendRotationRequest(mailer: Mailer, { from, to, data, logger }: SendOptions<RotationRequestMail>): Promise<Delivery> {
  const delivery = await mailer.send({ from, to: [...to], ...renderRotationRequest(data) });
  logger?.info({ email: 'rotation-request', rotation: data.rotation, transport: delivery.transport, message_id: delivery.messageId }, 'rotation email sent');
  return delivery;
}

/** An admin's own new link to a secret's value. */
export async function sendRotationLink(mailer: Mailer, { from, to, data, logger }: SendOptions<RetrievalLinkMail>): Promise<Delivery> {
  const delivery = await mailer.send({ from, to: [...to], ...renderRetrievalLink(data) });
  logger?.info({ email: 'secret-link', transport: delivery.transport, message_id: delivery.messageId }, 'secret link email sent');
  return delivery;
}
