/**
 * The engineers' emails about erasure requests: one that failed (every purge
 * round and verification window spent), one that came back after it was
 * proven erased (a restored backup), and the deadline reminder (requests due
 * within 7 days or overdue). Request ids, statuses and deadlines only: never a
 * profile id, a name or any other customer identifier.
 */
import { printable } from '../../text/sanitize.js';
import { escapeHtml } from './html.js';

export interface ErasureAlertItem {
  id: number;
  status: string;
  /** ISO instant. */
  deadline: string;
  overdue: boolean;
  /** With `WARDEN_PUBLIC_URL`: the request's page. */
  page?: string;
}

export type ErasureAlertMail =
  | { kind: 'failed'; tenant: string; item: ErasureAlertItem; reason: string }
  | { kind: 'reappeared'; tenant: string; item: ErasureAlertItem }
  | { kind: 'deadlines'; tenant: string; items: ErasureAlertItem[]; more: number; list?: string };

export function renderErasureAlert(m: ErasureAlertMail): { subject: string; text: string; html: string } {
  const tenant = printable(m.tenant);
  if (m.kind === 'deadlines') {
    const overdue = m.items.filter((i) => i.overdue).length;
    const headline = `${m.items.length + m.more} open erasure request(s) of ${tenant} are overdue or due within 7 days (${overdue} of those listed overdue). GDPR allows one month from receipt (Art. 12(3)); an extension must be recorded before the deadline.`;
    const line = (i: ErasureAlertItem) => `#${i.id} ${i.status}, ${i.overdue ? 'overdue since' : 'due'} ${i.deadline}${i.page === undefined ? '' : ` ${i.page}`}`;
    const text = [headline, '', ...m.items.map(line), ...(m.more > 0 ? [`and ${m.more} more`] : []), ...(m.list === undefined ? [] : ['', `All of them: ${m.list}`]), ''].join('\n');
    const html = `<!doctype html><html lang="en"><body>
<p>${escapeHtml(headline)}</p>
<ul>${m.items.map((i) => `<li>${i.page === undefined ? `#${i.id}` : `<a href="${escapeHtml(i.page)}">#${i.id}</a>`} ${escapeHtml(i.status)}, ${i.overdue ? 'overdue since' : 'due'} ${escapeHtml(i.deadline)}</li>`).join('')}</ul>
${m.more > 0 ? `<p>and ${m.more} more</p>` : ''}${m.list === undefined ? '' : `<p><a href="${escapeHtml(m.list)}">All of them</a></p>`}
</body></html>`;
    return { subject: `[Warden] ${tenant}: erasure deadlines (${m.items.length + m.more})`, text, html };
  }
  const { item } = m;
  const headline =
    m.kind === 'failed'
      ? `Erasure request #${item.id} failed: after every purge round and verification window the profile is still not proven gone. It counts as open (PRV-04) until someone retries it (warden purge retry ${item.id}) or records why it is retained.`
      : `Erasure request #${item.id} was proven erased, but a later check found the profile again (the platform may have restored a backup). Warden has reopened it and purges it again.`;
  const why = m.kind === 'failed' ? printable(m.reason) : undefined;
  const text = [headline, ...(why === undefined ? [] : ['', `Why: ${why}`]), `Deadline: ${item.deadline}`, ...(item.page === undefined ? [] : ['', `The whole trail: ${item.page}`]), ''].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<p>${escapeHtml(headline)}</p>
${why === undefined ? '' : `<p>Why: ${escapeHtml(why)}</p>`}<p>Deadline: ${escapeHtml(item.deadline)}</p>
${item.page === undefined ? '' : `<p><a href="${escapeHtml(item.page)}">The whole trail</a></p>`}
</body></html>`;
  return { subject: `[Warden] ${tenant}: erasure request #${item.id} ${m.kind}`, text, html };
}
