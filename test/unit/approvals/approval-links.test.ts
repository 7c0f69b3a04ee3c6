// The signed approve / reject links of the approval email: a token reads back
// as what was signed; any change to it (a field, the signature, another key, a
// second spelling of the same numbers) is forged; a token of another shape is
// malformed; a link stops working the instant it expires.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  APPROVAL_LINK_TTL_MS,
  linkTokenHash,
  readApprovalLink,
  signApprovalLink,
  type ApprovalLink,
} from '../../../src/approvals/approval-links.js';
import { approvalLinkUrl } from '../../../src/mail/templates/digest-links.js';

const key = randomBytes(32);
const NOW = new Date('2026-11-30T10:00:00.000Z');
const link: ApprovalLink = { approvalId: 12, personId: 5, decision: 'approved', expiresAt: new Date(NOW.getTime() + APPROVAL_LINK_TTL_MS) };

/** The token with its dot-separated part `i` replaced. */
function withPart(token: string, i: number, value: string): string {
  const parts = token.split('.');
  parts[i] = value;
  return parts.join('.');
}

describe('approval links', () => {
  it('read back as signed, for either decision, until they expire', () => {
    expect(APPROVAL_LINK_TTL_MS).toBe(7 * 86_400_000);
    const approve = signApprovalLink(key, link);
    expect(readApprovalLink(key, approve, NOW)).toEqual(link);
    const reject = signApprovalLink(key, { ...link, decision: 'rejected' });
    expect(reject).not.toBe(approve);
    expect(readApprovalLink(key, reject, NOW)).toEqual({ ...link, decision: 'rejected' });
  });

  it('keep their expiry to the second', () => {
    const token = signApprovalLink(key, { ...link, expiresAt: new Date(link.expiresAt.getTime() + 999) });
    expect(readApprovalLink(key, token, NOW)).toEqual(link);
  });

  it('expire at the instant given, not a millisecond later', () => {
    const token = signApprovalLink(key, link);
    expect(readApprovalLink(key, token, new Date(link.expiresAt.getTime() - 1))).toEqual(link);
    expect(readApprovalLink(key, token, link.expiresAt)).toBe('expired');
    expect(readApprovalLink(key, token, new Date(link.expiresAt.getTime() + 86_400_000))).toBe('expired');
  });

  it('a changed field is forged: the approval, the admin, the decision, the expiry', () => {
    const token = signApprovalLink(key, link);
    const expiry = String(Math.floor(link.expiresAt.getTime() / 1000));
    const tampered = [
      withPart(token, 1, '13'),
      withPart(token, 2, '6'),
      withPart(token, 3, 'r'),
      withPart(token, 4, String(Number(expiry) + 86_400)),
      // A later expiry is the obvious forgery; an earlier one is refused too.
      withPart(token, 4, String(Number(expiry) - 1)),
    ];
    for (const t of tampered) expect(readApprovalLink(key, t, NOW), t).toBe('forged');
  });

  it('a changed signature is forged, whichever digit changed', () => {
    const token = signApprovalLink(key, link);
    const sig = token.split('.')[5]!;
    for (const i of [0, 31, 63]) {
      const flipped = sig.slice(0, i) + (sig[i] === '0' ? '1' : '0') + sig.slice(i + 1);
      expect(readApprovalLink(key, withPart(token, 5, flipped), NOW)).toBe('forged');
    }
    // Another approval's valid signature does not fit this one.
    const other = signApprovalLink(key, { ...link, approvalId: 13 });
    expect(readApprovalLink(key, withPart(token, 5, other.split('.')[5]!), NOW)).toBe('forged');
  });

  it('signed under another key is forged', () => {
    expect(readApprovalLink(randomBytes(32), signApprovalLink(key, link), NOW)).toBe('forged');
  });

  it('another spelling of the same numbers is refused (a link is spent by its exact text, so it has one)', () => {
    const token = signApprovalLink(key, link);
    for (const t of [withPart(token, 1, '012'), withPart(token, 2, '05'), withPart(token, 4, `0${token.split('.')[4]!}`)]) {
      expect(readApprovalLink(key, t, NOW), t).toBe('forged');
      expect(linkTokenHash(t)).not.toBe(linkTokenHash(token));
    }
  });

  it('anything of another shape is malformed', () => {
    const token = signApprovalLink(key, link);
    const bad = [
      '',
      'v1',
      token.slice(0, -1),
      `${token}0`,
      `v2${token.slice(2)}`,
      withPart(token, 3, 'x'),
      withPart(token, 1, '-12'),
      withPart(token, 1, '1234567890'),
      withPart(token, 5, token.split('.')[5]!.toUpperCase()),
      ` ${token}`,
      `${token}\n`,
      token.replaceAll('.', '/'),
      'v1.12.5.a.1780000000.' + 'g'.repeat(64),
    ];
    for (const t of bad) expect(readApprovalLink(key, t, NOW), JSON.stringify(t)).toBe('malformed');
  });

  it('is hashed for the ledger (never stored as given) and addressed under the public URL', () => {
    const token = signApprovalLink(key, link);
    expect(linkTokenHash(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(linkTokenHash(token)).not.toContain(token.split('.')[5]!);
    expect(approvalLinkUrl({ publicUrl: 'https://warden.example/' }, token)).toBe(`https://warden.example/approvals/link/${token}`);
    expect(approvalLinkUrl({ publicUrl: 'https://warden.example//' }, token)).toBe(`https://warden.example/approvals/link/${token}`);
  });
});
