/** Sends the access-review emails: the pure template renders them, a mailer delivers them. */
import type { SendOptions } from './send-approvals.js';
import { renderReviewNotice, reviewNoticeAttachments, type ReviewNoticeMail } from './templates/review-notice.template.js';
import type { Delivery, Mailer } from './transports.js';

export interface ReviewNoticeOptions extends SendOptions<ReviewNoticeMail> {
  /**
   * Files attached as they are, byte for byte (the closing email's evidence pack).
   * @defaultValue none
   */
  files?: readonly { name: string; content: Buffer }[];
}

/** The content type of a pack file, by its name. */
function typeOf(name: string): string {
  if (name.endsWith('.csv')) return 'text/csv; charset=utf-8';
  if (name.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}

/** One access-review email (opening, reminder, escalation, closing). */
export async function sendReviewNotice(mailer: Mailer, { from, to, data, logger, files = [] }: ReviewNoticeOptions): Promise<Delivery> {
  const attachments = [...reviewNoticeAttachments(data), ...files.map((f) => ({ filename: f.name, contentType: typeOf(f.name), content: f.content }))];
  const delivery = await mailer.send({ from, to: [...to], ...renderReviewNotice(data), attachments });
  logger?.info(
    { campaign: data.campaign.campaignId, email: data.kind, ...(data.kind === 'reminder' ? { stage: data.stage } : {}), recipients: to.length, transport: delivery.transport, message_id: delivery.messageId },
    'review email sent',
  );
  return delivery;
}
