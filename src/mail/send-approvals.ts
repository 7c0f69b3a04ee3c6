/** Sends the approval emails: the pure templates render them, a mailer delivers them. */
import type { Logger } from '../log/logger.js';
import { renderApprovalRequest, type ApprovalRequestMail } from './templates/approval-request.template.js';
import { renderRemediationOutcome, type RemediationOutcomeMail } from './templates/remediation-outcome.template.js';
import type { Delivery, Mailer } from './transports.js';

export interface SendOptions<T> {
  from: string;
  to: readonly string[];
  data: T;
  /** Gets one `info` line per email: what and where it went, never the recipients. @defaultValue nothing logged */
  logger?: Logger;
}

/** One admin's approval email for one tenant's run. */
export async function sendApprovalRequest(mailer: Mailer, { from, to, data, logger }: SendOptions<ApprovalRequestMail>): Promise<Delivery> {
  const delivery = await mailer.send({ from, to: [...to], ...renderApprovalRequest(data) });
  logger?.info({ items: data.items.length, transport: delivery.transport, message_id: delivery.messageId }, 'approval email sent');
  return delivery;
}

/** The admins' email about an approval that failed or was refused. */
export async function sendRemediationOutcome(mailer: Mailer, { from, to, data, logger }: SendOptions<RemediationOutcomeMail>): Promise<Delivery> {
  const delivery = await mailer.send({ from, to: [...to], ...renderRemediationOutcome(data) });
  logger?.info({ approval: data.approvalId, outcome: data.outcome, transport: delivery.transport, message_id: delivery.messageId }, 'remediation outcome email sent');
  return delivery;
}
