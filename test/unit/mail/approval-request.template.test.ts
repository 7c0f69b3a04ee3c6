import { describe, expect, it } from 'vitest';
import { renderApprovalRequest, type ApprovalRequestItem } from '../../../src/mail/templates/approval-request.template.js';

const links = (id: number) => ({
  approve: `https://warden.test/approvals/link/v1.${id}.approve`,
  reject: `https://warden.test/approvals/link/v1.${id}.reject`,
  page: `https://warden.test/approvals/${id}`,
});
const item = (id: number, extra: Partial<ApprovalRequestItem> = {}): ApprovalRequestItem => ({
  id,
  rule: 'ACC-01',
  kind: 'remove_user',
  label: `User ${id}`,
  expiresAt: '2026-12-14T05:00:00.000Z',
  impact: ['• The account goes.'],
  ...extra,
});
/** The lines of one item in the text, from its heading to the next item's. */
const section = (text: string, id: number) => text.split(/^(?=#\d+ )/m).find((s) => s.startsWith(`#${id} `))!;
const htmlSection = (html: string, id: number) => html.split('<h3>').find((s) => s.startsWith(`#${id} `))!;

describe('renderApprovalRequest', () => {
  it('an item about the recipient’s own account has no links and says another admin decides; the others keep theirs', () => {
    // notify.ts gives no links with `own`, but the template must not print any even if it were given some.
    const out = renderApprovalRequest({ tenant: 'acme', name: 'Bob', items: [item(7, { own: true, links: links(7) }), item(8, { links: links(8) })] });
    const own = section(out.text, 7);
    expect(own).toContain('This one is about your own account: another admin decides it.');
    expect(own).not.toMatch(/Approve:|Reject:|Details:|Decide with|\/approvals\//);
    expect(section(out.text, 8)).toContain(`  Approve: ${links(8).approve}`);
    expect(section(out.text, 8)).not.toContain('your own account');
    const ownHtml = htmlSection(out.html, 7);
    expect(ownHtml).toContain('<p>This one is about your own account: another admin decides it.</p>');
    expect(ownHtml).not.toContain('href=');
    expect(htmlSection(out.html, 8)).toContain(`href="${links(8).approve}"`);
    expect(out.html).not.toContain(links(7).approve);
    expect(out.subject).toBe('[Warden] acme: 2 approval(s) waiting');
  });

  it('without a public URL an item about one’s own account names no CLI command to decide it either', () => {
    const out = renderApprovalRequest({ tenant: 'acme', name: '', items: [item(7, { own: true }), item(8)] });
    expect(section(out.text, 7)).not.toContain('warden approvals approve');
    expect(section(out.text, 7)).toContain('another admin decides it');
    expect(section(out.text, 8)).toContain('warden approvals approve 8 --as YOUR-EMAIL');
  });

  it('an access review’s item says who asked in which campaign; the one who asked gets no links and is told another admin decides', () => {
    const review = { rule: 'REVIEW', kind: 'change_role', label: 'Dan Wu (admin)', origin: 'asked by rita@acme.example in access review #3', impact: ['Changes dan@acme.example’s role admin to reporting.'] };
    const out = renderApprovalRequest({ tenant: 'acme', name: 'Rita', items: [item(7, { ...review, askedByYou: true, links: links(7) }), item(8, { ...review, links: links(8) })] });
    const asked = section(out.text, 7);
    expect(asked.split('\n').slice(0, 3)).toEqual([
      '#7 Change role: Dan Wu (admin) (REVIEW), open until 2026-12-14T05:00:00.000Z',
      '  Asked by rita@acme.example in access review #3.',
      '  Changes dan@acme.example’s role admin to reporting.',
    ]);
    expect(asked).toContain('You asked for this one in the access review: another admin decides it.');
    expect(asked).not.toMatch(/Approve:|Reject:|Details:|Decide with/);
    expect(htmlSection(out.html, 7)).toContain('<p>Asked by rita@acme.example in access review #3.</p>');
    expect(htmlSection(out.html, 7)).not.toContain('href=');
    expect(section(out.text, 8)).toContain('  Asked by rita@acme.example in access review #3.');
    expect(section(out.text, 8)).toContain(`  Approve: ${links(8).approve}`);
    // An audit's item says nothing of a review.
    expect(section(renderApprovalRequest({ tenant: 'acme', name: '', items: [item(9)] }).text, 9)).not.toMatch(/Asked by|access review/);
  });
});
