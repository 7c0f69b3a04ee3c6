/**
 * The email to a tenant's admins when an approved removal, revocation or webhook switch-off could
 * not be carried out: it failed after every retry, or the re-check right before
 * acting refused it. What was tried and why it stopped; ids and rule only.
 */
import { printable } from '../../text/sanitize.js';
import { escapeHtml } from './html.js';
import { kindWords } from '../../approvals/kinds.js';

export interface RemediationOutcomeMail {
  tenant: string;
  approvalId: number;
  rule: string;
  kind: string;
  label: string;
  outcome: 'failed' | 'refused';
  /** Why, in words (the last error, or the re-check's reason). */
  reason: string;
  /** With `WARDEN_PUBLIC_URL`: the approval's page. */
  page?: string;
}

export function renderRemediationOutcome(m: RemediationOutcomeMail): { subject: string; text: string; html: string } {
  const what = `${kindWords(m.kind)} ${printable(m.label)} (${m.rule}, approval #${m.approvalId})`;
  const headline =
    m.outcome === 'failed'
      ? `Warden could not carry out the approved action: ${what}. It was tried on a backoff and gave up; nothing more happens until someone looks.`
      : `Warden did not carry out the approved action: ${what}. The check right before acting refused it.`;
  const lines = [headline, '', `Why: ${printable(m.reason)}`, ...(m.page === undefined ? [] : ['', `The whole trail: ${m.page}`]), ''];
  const html = `<!doctype html><html lang="en"><body>
<p>${escapeHtml(headline)}</p>
<p>Why: ${escapeHtml(printable(m.reason))}</p>
${m.page === undefined ? '' : `<p><a href="${escapeHtml(m.page)}">The whole trail</a></p>`}
</body></html>`;
  return { subject: `[Warden] ${printable(m.tenant)}: approval #${m.approvalId} ${m.outcome}`, text: lines.join('\n'), html };
}
