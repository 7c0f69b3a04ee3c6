// The approval a reviewer's revoke or role change asks for
// (src/reviews/review-approvals.ts), measured from the campaign's frozen
// snapshot: removing the account when its only role goes (with its tokens and
// the admins left), changing roles otherwise; keyed by item.
import { describe, expect, it } from 'vitest';
import { rolesAfter } from '../../../src/approvals/impact.js';
import { approvalRequestFor, REVIEW_RULE, reviewFingerprint } from '../../../src/reviews/review-approvals.js';
import { freezeSnapshot, type FrozenSnapshot } from '../../../src/reviews/frozen-snapshot.js';
import { AS_OF_MS, daysAgo, role, snapshot } from '../../support/snapshot-builder.js';

const DAY = 86_400_000;
const AT = new Date('2026-10-06T12:00:00.000Z');

/** The frozen snapshot as the campaign row gives it back (jsonb: plain JSON). */
const frozen = (): Record<string, unknown> =>
  JSON.parse(
    JSON.stringify(
      freezeSnapshot(
        snapshot()
          .user({ id: 1, name: 'Ann Lee', email: 'ann@acme.example', roles: [role('Admin')] })
          .user({ id: 2, name: 'Bob Stone', email: 'bob@acme.example', roles: [role('admin'), role('manager')] })
          .user({ id: 3, name: null, email: 'cara@acme.example', roles: [role('manager')] })
          .user({ id: 4, name: null, email: null, roles: [] })
          .user({ id: 5, roles: [role('admin')] })
          .user({ id: 6, roles: [role('admin')], deleted_at: daysAgo(1) })
          .machine({ id: 7, roles: [role('machine'), role('reporting')] })
          .token({ id: 'ann-1', user_id: 1, name: 'export', scopes: ['read-profiles', 'read-reports'], usage: [{ used_at: daysAgo(3) }] })
          .token({ id: 'ann-2', user_id: 1, name: null, scopes: [] })
          .token({ id: 'ann-revoked', user_id: 1, revoked: true })
          .token({ id: 'bob-1', user_id: 2 })
          .parse(),
        AS_OF_MS,
      ),
    ),
  ) as Record<string, unknown>;

const campaign = () => ({ id: 42, snapshot: frozen() });
const tenant = { approval_expiry_days: 7 };
const item = (id: number, user_id: string, r: string, email: string | null = null, name: string | null = null) => ({ id, user_id, role: r, email, name });

describe('approvalRequestFor', () => {
  it('a revoke of the account’s only role removes the account, showing the live tokens it deletes and the admins left', () => {
    expect(approvalRequestFor(campaign(), tenant, item(11, '1', 'admin', 'ann@acme.example', 'Ann Lee'), 'revoke', null, AT)).toEqual({
      fingerprint: 'review:42:11',
      rule: REVIEW_RULE,
      expiresAt: new Date(AT.getTime() + 7 * DAY),
      kind: 'remove_user',
      subject: { type: 'user', id: '1', label: 'Ann Lee (admin)' },
      impact: {
        kind: 'remove_user',
        found: true,
        user_id: '1',
        email: 'ann@acme.example',
        roles: ['admin'],
        other_admins: 2, // Bob and user 5; not the deleted user 6
        tokens_deleted: [
          { id: 'ann-1', name: 'export', scopes: ['read-profiles', 'read-reports'], last_used_at: daysAgo(3), integration: null },
          { id: 'ann-2', name: null, scopes: [], last_used_at: null, integration: null },
        ],
      },
    });
  });

  it('a revoke of an account without roles (its item is role none) removes the account', () => {
    const request = approvalRequestFor(campaign(), tenant, item(14, '4', 'none'), 'revoke', null, AT);
    expect(request).toMatchObject({ kind: 'remove_user', subject: { type: 'user', id: '4', label: 'user 4 (none)' }, impact: { roles: [], other_admins: 3, tokens_deleted: [] } });
  });

  it('a revoke of one of several roles changes the roles: that one goes, the account and its tokens stay', () => {
    expect(approvalRequestFor(campaign(), tenant, item(12, '2', 'manager', 'bob@acme.example', 'Bob Stone'), 'revoke', null, AT)).toEqual({
      fingerprint: 'review:42:12',
      rule: REVIEW_RULE,
      expiresAt: new Date(AT.getTime() + 7 * DAY),
      kind: 'change_role',
      subject: { type: 'user', id: '2', label: 'Bob Stone (manager)' },
      impact: { kind: 'change_role', found: true, user_id: '2', email: 'bob@acme.example', roles: ['admin', 'manager'], remove_role: 'manager', add_role: null, roles_after: ['admin'] },
    });
  });

  it('a revoke of a machine account’s machine role, when it also holds another, is a role change', () => {
    expect(approvalRequestFor(campaign(), tenant, item(17, '7', 'machine'), 'revoke', null, AT)).toMatchObject({ kind: 'change_role', impact: { remove_role: 'machine', add_role: null, roles_after: ['reporting'] } });
  });

  it('a change of an only role to a lower one takes the role away and gives the lower one', () => {
    expect(approvalRequestFor(campaign(), tenant, item(13, '3', 'manager', 'cara@acme.example'), 'change_role', 'reporting', AT)).toMatchObject({
      kind: 'change_role',
      subject: { type: 'user', id: '3', label: 'cara@acme.example (manager)' }, // no name: the email
      impact: { kind: 'change_role', found: true, roles: ['manager'], remove_role: 'manager', add_role: 'reporting', roles_after: ['reporting'] },
    });
    // Never a removal, even though the role changed is the only one.
    expect(approvalRequestFor(campaign(), tenant, item(11, '1', 'admin'), 'change_role', 'reporting', AT)).toMatchObject({
      kind: 'change_role',
      impact: { roles: ['admin'], remove_role: 'admin', add_role: 'reporting', roles_after: ['reporting'] },
    });
  });

  it('a change to a role the account already holds leaves it there once', () => {
    expect(approvalRequestFor(campaign(), tenant, item(12, '2', 'admin'), 'change_role', 'manager', AT)).toMatchObject({
      kind: 'change_role',
      impact: { roles: ['admin', 'manager'], remove_role: 'admin', add_role: 'manager', roles_after: ['manager'] },
    });
  });

  it('is null for an account the frozen snapshot does not have (deleted before opening, or never there)', () => {
    expect(approvalRequestFor(campaign(), tenant, item(16, '6', 'admin'), 'revoke', null, AT)).toBeNull();
    expect(approvalRequestFor(campaign(), tenant, item(19, '99', 'admin'), 'change_role', 'manager', AT)).toBeNull();
  });

  it('expires after the tenant’s approval expiry', () => {
    expect(approvalRequestFor(campaign(), { approval_expiry_days: 1 }, item(11, '1', 'admin'), 'revoke', null, AT)!.expiresAt).toEqual(new Date('2026-10-07T12:00:00.000Z'));
    expect(approvalRequestFor(campaign(), { approval_expiry_days: 30 }, item(11, '1', 'admin'), 'revoke', null, AT)!.expiresAt).toEqual(new Date('2026-11-05T12:00:00.000Z'));
  });

  it('measures from the frozen snapshot given, not from the item (the item carries no roles)', () => {
    const snap = frozen() as unknown as FrozenSnapshot;
    snap.accounts.find((a) => a.id === '1')!.roles.push('reporting');
    expect(approvalRequestFor({ id: 42, snapshot: snap as unknown as Record<string, unknown> }, tenant, item(11, '1', 'admin'), 'revoke', null, AT)).toMatchObject({
      kind: 'change_role',
      impact: { roles: ['admin', 'reporting'], roles_after: ['reporting'] },
    });
  });
});

describe('rolesAfter', () => {
  it.each<[string[], string, string | null, string[]]>([
    [['admin'], 'admin', null, []],
    [['admin', 'manager'], 'manager', null, ['admin']],
    [['admin', 'manager'], 'admin', null, ['manager']],
    [['admin'], 'admin', 'manager', ['manager']],
    [['admin', 'manager'], 'admin', 'manager', ['manager']], // no duplicate
    [['admin', 'manager', 'reporting'], 'admin', 'reporting', ['manager', 'reporting']], // the platform's order kept
    [['reporting', 'admin'], 'admin', 'manager', ['reporting', 'manager']], // the new one last
    [['admin', 'admin'], 'admin', null, []], // a role listed twice goes entirely
    [['manager'], 'admin', null, ['manager']], // nothing to take away
    [[], 'none', null, []],
  ])('%j without %s, with %s → %j', (roles, remove, add, expected) => {
    expect(rolesAfter(roles, remove, add)).toEqual(expected);
  });

  it('does not change the list it is given', () => {
    const roles = ['admin', 'manager'];
    rolesAfter(roles, 'admin', 'reporting');
    expect(roles).toEqual(['admin', 'manager']);
  });
});

describe('reviewFingerprint', () => {
  it('keys an approval by campaign and item, so asking twice opens one', () => {
    expect(reviewFingerprint(42, 11)).toBe('review:42:11');
    expect(reviewFingerprint(4, 211)).not.toBe(reviewFingerprint(42, 11));
    expect(reviewFingerprint(42, 11)).toBe(reviewFingerprint(42, 11));
  });
});
