// The `change_role` kind (an access review's revoke of one of several roles,
// or change to a lower one): the roles after the change, its impact measured
// on the live user against what the approval asked, its sentences, whose
// account it is; and the drift of an account from a campaign's frozen snapshot.
import { describe, expect, it } from 'vitest';
import { roleChangeImpact, roleChangeRequest, roleChangeSentences, rolesAfter, impactIndex, type RoleChangeImpact } from '../../../src/approvals/impact.js';
import { affectedEmail, impactOf, impactSentences } from '../../../src/approvals/kinds.js';
import { accountDrift, driftWords, hasDrift } from '../../../src/reviews/account-drift.js';
import type { FrozenAccount } from '../../../src/reviews/frozen-snapshot.js';
import { AS_OF_MS, daysAgo, role, snapshot } from '../../support/snapshot-builder.js';

const change = (over: Partial<RoleChangeImpact>): RoleChangeImpact => ({
  kind: 'change_role',
  found: true,
  user_id: '7',
  email: 'dan.wu@acme.example',
  roles: ['admin', 'manager'],
  remove_role: 'admin',
  add_role: null,
  roles_after: ['manager'],
  ...over,
});

describe('rolesAfter', () => {
  it('takes the role away and gives the new one once, keeping the platform’s order', () => {
    expect(rolesAfter(['admin', 'manager'], 'admin', null)).toEqual(['manager']);
    expect(rolesAfter(['admin'], 'admin', 'reporting')).toEqual(['reporting']);
    expect(rolesAfter(['machine', 'admin', 'reporting'], 'admin', 'manager')).toEqual(['machine', 'reporting', 'manager']);
    // Given already: not twice.
    expect(rolesAfter(['admin', 'reporting'], 'admin', 'reporting')).toEqual(['reporting']);
    // Not held: only the new one is added.
    expect(rolesAfter(['manager'], 'admin', 'reporting')).toEqual(['manager', 'reporting']);
    expect(rolesAfter(['admin'], 'admin', null)).toEqual([]);
  });
});

describe('roleChangeImpact', () => {
  const world = () =>
    snapshot()
      .user({ id: 7, email: 'Dan.Wu@Acme.example', roles: [role('Admin'), role('manager')] })
      .user({ id: 8, roles: [role('admin')], deleted_at: daysAgo(1) })
      .parse();

  it('is measured on the live user’s roles (lower-cased), against what the approval asked', () => {
    const s = world();
    const asked = { kind: 'change_role', remove_role: 'admin', add_role: 'reporting', roles: ['admin'], roles_after: ['reporting'] };
    expect(impactOf('change_role', s, '7', AS_OF_MS, undefined, asked)).toEqual({
      kind: 'change_role',
      found: true,
      user_id: '7',
      email: 'Dan.Wu@Acme.example',
      roles: ['admin', 'manager'],
      remove_role: 'admin',
      add_role: 'reporting',
      roles_after: ['manager', 'reporting'],
    });
  });

  it('finds no deleted or unknown user: nothing to change', () => {
    const s = world();
    for (const id of ['8', '99']) {
      expect(roleChangeImpact(s, id, AS_OF_MS, impactIndex(s, AS_OF_MS), { remove_role: 'admin', add_role: null })).toMatchObject({ found: false, roles: [], roles_after: [], email: null });
    }
  });

  it('cannot be measured without its request', () => {
    const s = world();
    expect(() => impactOf('change_role', s, '7', AS_OF_MS)).toThrow(/remove_role/);
    expect(() => roleChangeRequest({ remove_role: '' })).toThrow(/remove_role/);
    expect(() => roleChangeRequest({ remove_role: 'admin', add_role: 3 })).toThrow(/add_role/);
    expect(roleChangeRequest({ remove_role: 'admin' })).toEqual({ remove_role: 'admin', add_role: null });
  });
});

describe('the role change in words', () => {
  it('a revoke of one of several roles takes it and names what is kept', () => {
    expect(roleChangeSentences(change({}))).toEqual(['Takes the role admin from dan.wu@acme.example; keeps manager.', 'The account and its API tokens stay: only its roles change.']);
  });

  it('a change to a lower role names both, and what else is kept', () => {
    expect(roleChangeSentences(change({ roles: ['admin'], add_role: 'reporting', roles_after: ['reporting'] }))[0]).toBe('Changes dan.wu@acme.example’s role admin to reporting.');
    expect(roleChangeSentences(change({ roles: ['admin', 'machine'], add_role: 'reporting', roles_after: ['machine', 'reporting'] }))[0]).toBe(
      'Changes dan.wu@acme.example’s role admin to reporting; keeps machine.',
    );
  });

  it('names the account by id without an email, says when no role is left, and when it was not found', () => {
    expect(roleChangeSentences(change({ email: null, roles: ['admin'], roles_after: [] }))[0]).toBe('Takes the role admin from user 7; it is left with no role.');
    expect(roleChangeSentences(change({ found: false }))).toEqual(['The account was not found when this was requested.']);
  });

  it('is dispatched by the stored impact’s kind; the affected account is the user’s, lower-cased', () => {
    const stored = { ...change({ email: 'Dan.Wu@Acme.example' }) } as Record<string, unknown>;
    expect(impactSentences(stored)).toEqual(roleChangeSentences(change({ email: 'Dan.Wu@Acme.example' })));
    expect(affectedEmail(stored)).toBe('dan.wu@acme.example');
  });
});

describe('accountDrift', () => {
  const frozen: FrozenAccount = {
    id: '7',
    email: 'dan.wu@acme.example',
    name: 'Dan Wu',
    roles: ['admin', 'manager'],
    machine: false,
    last_activity: null,
    tokens: [{ id: 't1', name: 'export', scopes: [], created_at: daysAgo(10), expires_at: null, last_used_at: null }],
  };

  it('is empty for an account as the reviewer saw it (roles compared as sets)', () => {
    const drift = accountDrift(frozen, { email: 'dan.wu@acme.example', roles: ['manager', 'admin'], tokens: [{ id: 't1', name: 'export' }] });
    expect(drift).toEqual({});
    expect(hasDrift(drift)).toBe(false);
  });

  it('says the account is gone, and nothing else', () => {
    const drift = accountDrift(frozen, undefined);
    expect(drift).toEqual({ account_gone: true });
    expect(driftWords(drift)).toBe('the account is gone');
  });

  it('records roles then and now, a changed email and tokens gained', () => {
    const drift = accountDrift(frozen, {
      email: 'dan@acme.example',
      roles: ['admin', 'manager', 'reporting'],
      tokens: [
        { id: 't1', name: 'export' },
        { id: 't2', name: null },
      ],
    });
    expect(drift).toEqual({
      roles: { then: ['admin', 'manager'], now: ['admin', 'manager', 'reporting'] },
      email: { then: 'dan.wu@acme.example', now: 'dan@acme.example' },
      tokens_gained: [{ id: 't2', name: null }],
    });
    expect(driftWords(drift)).toBe('roles admin, manager → admin, manager, reporting; email changed; 1 live API token(s) gained');
  });

  it('does not count tokens it did not read (a role change reads the users only)', () => {
    expect(accountDrift(frozen, { email: frozen.email, roles: ['admin'] })).toEqual({ roles: { then: ['admin', 'manager'], now: ['admin'] } });
  });
});
