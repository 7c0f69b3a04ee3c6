/**
 * The approval email: one per tenant and admin for each audit run that opened
 * approvals, listing every new item with its impact in words and two links,
 * approve and reject. The links are the admin's own (signed for them, src/approvals/approval-links.ts)
 * and only open a page that asks for a confirming click. Without
 * `WARDEN_PUBLIC_URL` there are no links: the email names the CLI command instead.
 */
import { kindWords } from '../../approvals/kinds.js';
import { printable } from '../../text/sanitize.js';
import { escapeHtml } from './html.js';

export interface ApprovalRequestItem {
  id: number;
  rule: string;
  /** `remove_user`, `revoke_token`, `disable_webhook`. */
  kind: string;
  /** The account, token or webhook as the finding names it. */
  label: string;
  expiresAt: string;
  /** The impact, one sentence a line (src/approvals/impact.ts `impactSentences`). */
  impact: string[];
  /** With `WARDEN_PUBLIC_URL`: this admin's links and the approval's page. */
  links?: { approve: string; reject: string; page: string };
  /** It is about the recipient's own account: another admin decides, and no link is given. @defaultValue false */
  own?: boolean;
  /** An access review's: where it came from (`asked by … in access review #3`). @defaultValue none: an audit's */
  origin?: string;
  /** The recipient asked for it in an access review: another admin decides, and no link is given. @defaultValue false */
  askedByYou?: boolean;
}

export interface ApprovalRequestMail {
  tenant: string;
  /** The admin's name, or '' when none was given. */
  name: string;
  items: readonly ApprovalRequestItem[];
  /** Pending approvals not listed (over the email's limit). @defaultValue 0 */
  more?: number;
  /** With `WARDEN_PUBLIC_URL`: the tenant's pending approvals page. */
  listUrl?: string;
}

export function renderApprovalRequest(m: ApprovalRequestMail): { subject: string; text: string; html: string } {
  const name = printable(m.name.trim());
  const tenant = printable(m.tenant);
  const greeting = name === '' ? 'Hello,' : `Hello ${name},`;
  const total = m.items.length + (m.more ?? 0);
  const intro = `Warden's audit of ${tenant} flagged ${total} item(s) that need an admin's approval before anything is done. Nothing is removed, revoked or switched off unless an admin approves; right before acting Warden checks again that the finding still holds, then verifies the result.`;
  const text: string[] = [greeting, '', intro, ''];
  const html: string[] = [`<!doctype html><html lang="en"><body>`, `<p>${escapeHtml(greeting)}</p>`, `<p>${escapeHtml(intro)}</p>`];
  for (const item of m.items) {
    const head = `#${item.id} ${kindWords(item.kind)}: ${printable(item.label)} (${item.rule}), open until ${item.expiresAt}`;
    // `asked by … in access review #3` as a sentence of its own.
    const origin = item.origin === undefined || item.origin === '' ? [] : [printable(`${item.origin[0]!.toUpperCase()}${item.origin.slice(1)}.`)];
    text.push(head, ...origin.map((o) => `  ${o}`), ...item.impact.map((l) => `  ${printable(l)}`));
    html.push(`<h3>${escapeHtml(head)}</h3>`, ...origin.map((o) => `<p>${escapeHtml(o)}</p>`), `<ul>${item.impact.map((l) => `<li>${escapeHtml(printable(l.replace(/^• /, '')))}</li>`).join('')}</ul>`);
    if (item.own === true || item.askedByYou === true) {
      const note = item.own === true ? 'This one is about your own account: another admin decides it.' : 'You asked for this one in the access review: another admin decides it.';
      text.push(`  ${note}`, '');
      html.push(`<p>${escapeHtml(note)}</p>`);
    } else if (item.links === undefined) {
      text.push(`  Decide with: warden approvals approve ${item.id} --as YOUR-EMAIL (or reject ${item.id} --as YOUR-EMAIL --comment WHY)`, '');
      html.push(`<p>Decide with <code>warden approvals approve ${item.id} --as YOUR-EMAIL</code>.</p>`);
    } else {
      text.push(`  Approve: ${item.links.approve}`, `  Reject:  ${item.links.reject}`, `  Details: ${item.links.page}`, '');
      html.push(
        `<p><a href="${escapeHtml(item.links.approve)}">Approve</a> · <a href="${escapeHtml(item.links.reject)}">Reject</a> · <a href="${escapeHtml(item.links.page)}">Details</a></p>`,
      );
    }
  }
  if ((m.more ?? 0) > 0) {
    const more = `${m.more} more approval(s) wait beyond this list${m.listUrl === undefined ? ': see `warden approvals list --tenant ' + tenant + ' --state pending`.' : `: ${m.listUrl}`}`;
    text.push(more, '');
    html.push(m.listUrl === undefined ? `<p>${escapeHtml(more)}</p>` : `<p>${m.more} more approval(s) wait beyond this list: <a href="${escapeHtml(m.listUrl)}">the pending approvals</a>.</p>`);
  }
  const outro = 'Each link is yours alone, works once and for 7 days, and opens a page where you confirm: opening it decides nothing. Do not forward this email.';
  text.push(outro, '');
  html.push(`<p>${escapeHtml(outro)}</p>`, '</body></html>');
  return { subject: `[Warden] ${tenant}: ${total} approval(s) waiting`, text: text.join('\n'), html: html.join('\n') };
}
