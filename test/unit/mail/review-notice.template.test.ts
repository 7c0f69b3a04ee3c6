import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { renderReviewNotice, reviewNoticeAttachments, type ReviewCampaignFacts, type ReviewNoticeMail } from '../../../src/mail/templates/review-notice.template.js';

const facts = (over: Partial<ReviewCampaignFacts> = {}): ReviewCampaignFacts => ({
  tenant: 'acme',
  campaignId: 12,
  dueOn: '2027-01-18',
  closesOn: '2027-01-22',
  noResponseEffect: 'flagged for follow-up and reported; the access is left as it is',
  page: 'https://warden.test/reviews/12',
  ...over,
});
const reminder = (daysLeft: number, stage: string, over: Partial<Extract<ReviewNoticeMail, { kind: 'reminder' }>> = {}): ReviewNoticeMail => ({
  kind: 'reminder',
  campaign: facts(),
  stage,
  daysLeft,
  undecided: 5,
  flagged: 2,
  queue: 'https://warden.test/reviews/12/queue',
  ...over,
});

describe('renderReviewNotice', () => {
  it('a reminder says how many items, how many flagged, when they are due, and links the reviewer’s queue', () => {
    const opening = renderReviewNotice(reminder(14, 'opening'));
    expect(opening.text).toContain('you have 5 items to review, 2 flagged.');
    expect(opening.text).toContain('They are due in 14 days, on 2027-01-18.');
    expect(opening.text).toContain('Your queue: https://warden.test/reviews/12/queue');
    expect(opening.html).toContain('<a href="https://warden.test/reviews/12/queue">Your queue</a>');
    expect(opening.subject).toBe('[Warden] acme: 5 access review items wait for you, due in 14 days, on 2027-01-18');
    expect(renderReviewNotice(reminder(1, 'due-1')).text).toContain('Reminder: 5 items of the access review of acme (campaign #12) still wait for your decision, 2 flagged.\n\nThey are due tomorrow, 2027-01-18.');
    expect(renderReviewNotice(reminder(0, 'due', { undecided: 1, flagged: 0 })).subject).toBe('[Warden] acme: 1 access review item wait for you, due today, 2027-01-18');
    const late = renderReviewNotice(reminder(-2, 'overdue-2')).text;
    expect(late).toContain('overdue since 2027-01-18 (2 days)');
    expect(late).toContain('On 2027-01-22 the campaign closes on its own, and each item still undecided is flagged for follow-up');
    // No public URL: the command instead of a link.
    const bare = renderReviewNotice({ ...reminder(3, 'due-3'), campaign: facts({ page: undefined }), queue: undefined } as ReviewNoticeMail);
    expect(bare.text).toContain('In Warden: warden review status 12');
    expect(bare.html).not.toContain('href=');
  });

  it('the escalation lists each late reviewer’s undecided count, with the items nobody could be assigned', () => {
    const mail: ReviewNoticeMail = {
      kind: 'escalation',
      campaign: facts(),
      overdueDays: 1,
      reviewers: [
        { reviewer: 'ann@acme.example', items: 9, undecided: 3, flaggedUndecided: 1 },
        { reviewer: null, items: 1, undecided: 1, flaggedUndecided: 1 },
      ],
    };
    const out = renderReviewNotice(mail);
    expect(out.subject).toBe('[Warden] acme: access review #12 is overdue, 4 items undecided');
    expect(out.text).toContain('  ann@acme.example: 3 undecided of 9, 1 of them flagged\n  (nobody yet: delegate them): 1 undecided of 1, 1 of them flagged');
    const [csv] = reviewNoticeAttachments(mail);
    expect(csv!.filename).toBe('warden-review-12-undecided.csv');
    expect(parse(csv!.content, { columns: true })).toEqual([
      { reviewer: 'ann@acme.example', items: '9', undecided: '3', flagged_undecided: '1' },
      { reviewer: '', items: '1', undecided: '1', flagged_undecided: '1' },
    ]);
  });

  it('the opening email gives the counts in the body and as CSV', () => {
    const mail: ReviewNoticeMail = {
      kind: 'opening',
      campaign: facts(),
      takenAt: '2027-01-04T08:00:00.000Z',
      snapshotSha256: 'a'.repeat(64),
      counts: { accounts: 11, admins: 4, machineUsers: 3, liveTokens: 5, items: 13, flagged: 8, unassigned: 0 },
      reviewers: [{ reviewer: 'ann@acme.example', items: 13, undecided: 13, flaggedUndecided: 8 }],
    };
    const out = renderReviewNotice(mail);
    expect(out.text).toContain('Accounts: 11\nAdmins: 4\nMachine users: 3\nLive API tokens: 5\nItems to review (account and role): 13\nFlagged by Warden\'s findings: 8\n');
    expect(out.text).not.toContain('Nobody could be assigned');
    expect(out.text).toContain('Due 2027-01-18.');
    const counts = reviewNoticeAttachments(mail).find((a) => a.filename.endsWith('counts.csv'))!;
    expect(parse(counts.content, { columns: true })).toContainEqual({ figure: 'flagged', value: '8' });
  });

  it('shows control characters and escapes HTML in what it did not write', () => {
    const out = renderReviewNotice({
      kind: 'closed',
      campaign: facts({ tenant: 'ac\u001b]0;owned\u0007me<b>' }),
      closedAt: '2027-01-22T08:00:00.000Z',
      closedBy: 'x\r\nBcc: evil@example.com',
      outcome: { items: 3, keep: 1, revoke: 1, changeRole: 0, noResponse: 1, approvals: 1 },
      packSha256: 'b'.repeat(64),
      files: [{ name: 'items.csv', bytes: 10 }],
      attached: true,
    });
    for (const part of [out.subject, out.text, out.html]) {
      for (const raw of ['\u001b', '\u0007', '\r']) expect(part.includes(raw)).toBe(false);
      expect(part).toContain('\\u001b');
    }
    expect(out.html).not.toContain('<b>');
    expect(out.text).toContain('No response: 1, each flagged for follow-up');
  });

  it('refuses a campaign id or date that is not one, naming the field', () => {
    expect(() => renderReviewNotice({ ...reminder(1, 'due-1'), campaign: facts({ campaignId: 0 }) })).toThrow(/campaign\.campaignId/);
    expect(() => renderReviewNotice({ ...reminder(1, 'due-1'), campaign: facts({ dueOn: '18/01/2027' }) })).toThrow(/campaign\.dueOn/);
  });
});
