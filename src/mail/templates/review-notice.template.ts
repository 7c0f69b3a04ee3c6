/**
 * The access-review emails (docs/architecture.md "Access reviews"), pure
 * `renderReviewNotice(mail) → {subject, text, html}` and
 * `reviewNoticeAttachments(mail)` for the CSV of its figures:
 *
 * - `opening`, to the compliance officers: the quarterly review email — what
 *   the campaign covers (the frozen snapshot), its counts, its reviewers, the
 *   due date and what happens to an item nobody decides;
 * - `reminder`, to one reviewer with undecided items: how many, how many
 *   flagged, when they are due, and the link to their queue;
 * - `escalation`, to the compliance officers once the campaign is overdue:
 *   each reviewer's undecided count;
 * - `closed`, to the compliance officers: the outcome and the evidence pack
 *   (whose files the sender attaches).
 *
 * What they carry: counts, dates, ids, hashes, and the reviewers' addresses
 * (staff, who the officers must chase). Never an item's account, a comment or a
 * token: those are on the campaign's pages and in the pack. Every value goes
 * through `printable` (text) and `escapeHtml` (HTML).
 */
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../../errors.js';
import { printable, printableLines } from '../../text/sanitize.js';
import { escapeHtml } from './html.js';

/** One reviewer's share as the opening and escalation emails list it. */
export interface ReviewerShare {
  /** Their email; null for the items nobody could be assigned. */
  reviewer: string | null;
  items: number;
  undecided: number;
  flaggedUndecided: number;
}

/** What every access-review email says of its campaign. */
export interface ReviewCampaignFacts {
  tenant: string;
  campaignId: number;
  /** `YYYY-MM-DD`, the tenant's date. */
  dueOn: string;
  /** The day it closes on its own (due date plus grace). */
  closesOn: string;
  /** What the no-response policy does to an undecided item, in words (src/reviews/no-response.ts). */
  noResponseEffect: string;
  /**
   * With `WARDEN_PUBLIC_URL`: the campaign's page.
   * @defaultValue none: the email names the CLI instead
   */
  page?: string;
}

export interface ReviewCounts {
  accounts: number;
  admins: number;
  machineUsers: number;
  liveTokens: number;
  items: number;
  flagged: number;
  unassigned: number;
}

export interface ReviewOutcome {
  items: number;
  keep: number;
  revoke: number;
  changeRole: number;
  /** Items nobody decided, settled by the no-response policy. */
  noResponse: number;
  /** Approvals the campaign asked (revokes and role changes, and a `revoke` policy's). */
  approvals: number;
}

export type ReviewNoticeMail =
  | { kind: 'opening'; campaign: ReviewCampaignFacts; takenAt: string; snapshotSha256: string; counts: ReviewCounts; reviewers: readonly ReviewerShare[] }
  | {
      kind: 'reminder';
      campaign: ReviewCampaignFacts;
      /** The schedule's stage (src/reviews/reminder-schedule.ts): `opening`, `weekly-1`, `due-3`, `due-1`, `due`, `overdue-2`… */
      stage: string;
      /** Days from today to the due date (negative: overdue). */
      daysLeft: number;
      undecided: number;
      flagged: number;
      /** With `WARDEN_PUBLIC_URL`: the reviewer's queue. */
      queue?: string;
    }
  | { kind: 'escalation'; campaign: ReviewCampaignFacts; overdueDays: number; reviewers: readonly ReviewerShare[] }
  | {
      kind: 'closed';
      campaign: ReviewCampaignFacts;
      /** ISO instant. */
      closedAt: string;
      closedBy: string;
      outcome: ReviewOutcome;
      packSha256: string;
      files: readonly { name: string; bytes: number }[];
      /** Whether the pack's files are attached (false: too large, only its manifest is). */
      attached: boolean;
    };

export interface RenderedReviewNotice {
  subject: string;
  text: string;
  html: string;
}

export interface ReviewNoticeAttachment {
  filename: string;
  contentType: string;
  content: string;
}

const one = (s: string) => printable(s);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const UNASSIGNED = '(nobody yet: delegate them)';

function checkFacts(c: ReviewCampaignFacts): void {
  if (!Number.isSafeInteger(c.campaignId) || c.campaignId < 1) throw new InputError('campaign.campaignId', 'must be a positive whole number');
  for (const [field, value] of [
    ['dueOn', c.dueOn],
    ['closesOn', c.closesOn],
  ] as const) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InputError(`campaign.${field}`, 'must be a date YYYY-MM-DD');
  }
}

/** Where to act: the page, or the command when the app has no public URL. */
function whereText(c: ReviewCampaignFacts): string {
  return c.page === undefined ? `In Warden: warden review status ${c.campaignId}` : `The campaign: ${c.page}`;
}

function whereHtml(c: ReviewCampaignFacts): string {
  return c.page === undefined ? `<p>In Warden: <code>warden review status ${c.campaignId}</code></p>` : `<p><a href="${escapeHtml(c.page)}">The campaign in Warden</a></p>`;
}

function when(daysLeft: number, dueOn: string): string {
  if (daysLeft > 1) return `due in ${daysLeft} days, on ${dueOn}`;
  if (daysLeft === 1) return `due tomorrow, ${dueOn}`;
  if (daysLeft === 0) return `due today, ${dueOn}`;
  return `overdue since ${dueOn} (${plural(-daysLeft, 'day')})`;
}

function sharesTable(rows: readonly ReviewerShare[], columns: 'opening' | 'escalation'): { text: string[]; html: string } {
  const name = (r: ReviewerShare) => (r.reviewer === null ? UNASSIGNED : one(r.reviewer));
  if (columns === 'opening') {
    return {
      text: rows.map((r) => `  ${name(r)}: ${plural(r.items, 'item')}, ${r.flaggedUndecided} flagged`),
      html: `<table role="table"><thead><tr><th>Reviewer</th><th>Items</th><th>Flagged</th></tr></thead><tbody>${rows.map((r) => `<tr><td>${escapeHtml(name(r))}</td><td>${r.items}</td><td>${r.flaggedUndecided}</td></tr>`).join('')}</tbody></table>`,
    };
  }
  return {
    text: rows.map((r) => `  ${name(r)}: ${r.undecided} undecided of ${r.items}, ${r.flaggedUndecided} of them flagged`),
    html: `<table role="table"><thead><tr><th>Reviewer</th><th>Undecided</th><th>Of</th><th>Flagged undecided</th></tr></thead><tbody>${rows.map((r) => `<tr><td>${escapeHtml(name(r))}</td><td>${r.undecided}</td><td>${r.items}</td><td>${r.flaggedUndecided}</td></tr>`).join('')}</tbody></table>`,
  };
}

function page(title: string, paragraphs: readonly string[], extra = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>
<h1 style="font-size:18px">${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${extra}
</body></html>
`;
}

/** Renders an access-review email. Throws InputError naming the field on bad data. */
export function renderReviewNotice(m: ReviewNoticeMail): RenderedReviewNotice {
  const c = m.campaign;
  checkFacts(c);
  const tenant = one(c.tenant);
  const closing = `On ${c.closesOn} the campaign closes on its own, and each item still undecided is ${one(c.noResponseEffect)}.`;
  let subject: string;
  let text: string[];
  let html: string;
  switch (m.kind) {
    case 'opening': {
      const k = m.counts;
      subject = `[Warden] ${tenant}: access review #${c.campaignId} is open, due ${c.dueOn}`;
      const intro = `Warden opened the access review of ${tenant} (campaign #${c.campaignId}): every account and role on the platform as of ${one(m.takenAt)}, frozen, so each decision is tied to what the reviewer was shown (snapshot SHA-256 ${one(m.snapshotSha256)}).`;
      const figures = [
        `Accounts: ${k.accounts}`,
        `Admins: ${k.admins}`,
        `Machine users: ${k.machineUsers}`,
        `Live API tokens: ${k.liveTokens}`,
        `Items to review (account and role): ${k.items}`,
        `Flagged by Warden's findings: ${k.flagged}`,
        ...(k.unassigned > 0 ? [`Nobody could be assigned: ${k.unassigned} (the account's own reviewer only): delegate them`] : []),
      ];
      const due = `Due ${c.dueOn}. Reviewers are reminded while they have undecided items, and you are told if it runs late. ${closing}`;
      const shares = sharesTable(m.reviewers, 'opening');
      text = [intro, '', ...figures, '', `Reviewers (${m.reviewers.filter((r) => r.reviewer !== null).length}):`, ...shares.text, '', due, '', whereText(c), '', 'The figures are also in the attached CSV files.'];
      html = page(`Access review of ${tenant} is open`, [intro], `<ul id="counts">${figures.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>\n<h2 style="font-size:16px">Reviewers</h2>\n${shares.html}\n<p>${escapeHtml(due)}</p>\n${whereHtml(c)}`);
      break;
    }
    case 'reminder': {
      const dueText = when(m.daysLeft, c.dueOn);
      subject = `[Warden] ${tenant}: ${plural(m.undecided, 'access review item')} wait for you, ${dueText}`;
      const head =
        m.stage === 'opening'
          ? `The access review of ${tenant} is open (campaign #${c.campaignId}): you have ${plural(m.undecided, 'item')} to review, ${m.flagged} flagged.`
          : `Reminder: ${plural(m.undecided, 'item')} of the access review of ${tenant} (campaign #${c.campaignId}) still wait for your decision, ${m.flagged} flagged.`;
      const body = `They are ${dueText}. Keep, revoke or change each role; a kept flagged item needs a word on why. Flagged items come first in your queue.`;
      const late = m.daysLeft < 0 ? [closing] : [];
      const link = m.queue === undefined ? `In Warden: warden review status ${c.campaignId}` : `Your queue: ${m.queue}`;
      text = [head, '', body, ...late, '', link];
      html = page(`Access review of ${tenant}`, [head, body, ...late], m.queue === undefined ? `<p>In Warden: <code>warden review status ${c.campaignId}</code></p>` : `<p><a href="${escapeHtml(m.queue)}">Your queue</a></p>`);
      break;
    }
    case 'escalation': {
      const undecided = m.reviewers.reduce((n, r) => n + r.undecided, 0);
      const flagged = m.reviewers.reduce((n, r) => n + r.flaggedUndecided, 0);
      subject = `[Warden] ${tenant}: access review #${c.campaignId} is overdue, ${plural(undecided, 'item')} undecided`;
      const head = `The access review of ${tenant} (campaign #${c.campaignId}) was due ${c.dueOn} and is ${plural(m.overdueDays, 'day')} overdue: ${plural(undecided, 'item')} are undecided, ${flagged} of them flagged.`;
      const body = `Each reviewer below is reminded daily. You may delegate a reviewer's share, or close the campaign now. ${closing}`;
      const shares = sharesTable(m.reviewers, 'escalation');
      text = [head, '', 'Undecided, by reviewer:', ...shares.text, '', body, '', whereText(c), '', 'The figures are also in the attached CSV file.'];
      html = page(`Access review of ${tenant} is overdue`, [head], `${shares.html}\n<p>${escapeHtml(body)}</p>\n${whereHtml(c)}`);
      break;
    }
    case 'closed': {
      const o = m.outcome;
      subject = `[Warden] ${tenant}: access review #${c.campaignId} closed, ${m.attached ? 'evidence pack attached' : 'evidence pack ready'}`;
      const head = `The access review of ${tenant} (campaign #${c.campaignId}) was closed at ${one(m.closedAt)} by ${one(m.closedBy)}.`;
      const outcome = [
        `Items: ${o.items}`,
        `Kept: ${o.keep}`,
        `Revoked: ${o.revoke}`,
        `Role changed: ${o.changeRole}`,
        `No response: ${o.noResponse}${o.noResponse > 0 ? `, each ${one(c.noResponseEffect)}` : ''}`,
        `Approvals asked: ${o.approvals} (a revoke or role change is carried out only once an admin approves it, re-checked first and verified after)`,
      ];
      const pack = `Evidence pack: SHA-256 ${one(m.packSha256)}, recorded in Warden's hash-chained audit log. ${
        m.attached
          ? 'Its files are attached; check them with `warden review verify-pack DIR`, or `sha256sum` against manifest.json.'
          : `It is too large to attach (its manifest is); download it from the campaign's page or with \`warden review export ${c.campaignId} --out DIR\`.`
      }`;
      const files = m.files.map((f) => `  ${one(f.name)} (${plural(f.bytes, 'byte')})`);
      text = [head, '', 'Outcome:', ...outcome.map((l) => `  ${l}`), '', pack, ...files, '', whereText(c)];
      html = page(`Access review of ${tenant} closed`, [head], `<ul id="outcome">${outcome.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>\n<p>${escapeHtml(pack)}</p>\n<ul id="files">${m.files.map((f) => `<li>${escapeHtml(f.name)} (${escapeHtml(plural(f.bytes, 'byte'))})</li>`).join('')}</ul>\n${whereHtml(c)}`);
      break;
    }
  }
  return { subject: printable(subject), text: printableLines(`${text.join('\n')}\n`), html: printableLines(html) };
}

const csv = (rows: (string | number)[][], columns: string[]) => stringify(rows, { header: true, columns, escape_formulas: true });

function sharesCsv(rows: readonly ReviewerShare[]): string {
  return csv(
    rows.map((r) => [r.reviewer ?? '', r.items, r.undecided, r.flaggedUndecided]),
    ['reviewer', 'items', 'undecided', 'flagged_undecided'],
  );
}

/** The CSV files of the email's figures (the closing email's are the pack, attached by the sender). */
export function reviewNoticeAttachments(m: ReviewNoticeMail): ReviewNoticeAttachment[] {
  const name = (what: string) => `warden-review-${m.campaign.campaignId}-${what}.csv`;
  const type = 'text/csv; charset=utf-8';
  if (m.kind === 'opening') {
    const k = m.counts;
    return [
      {
        filename: name('counts'),
        contentType: type,
        content: csv(
          [
            ['accounts', k.accounts],
            ['admins', k.admins],
            ['machine_users', k.machineUsers],
            ['live_tokens', k.liveTokens],
            ['items', k.items],
            ['flagged', k.flagged],
            ['unassigned', k.unassigned],
          ],
          ['figure', 'value'],
        ),
      },
      { filename: name('reviewers'), contentType: type, content: sharesCsv(m.reviewers) },
    ];
  }
  if (m.kind === 'escalation') return [{ filename: name('undecided'), contentType: type, content: sharesCsv(m.reviewers) }];
  return [];
}
