// ACC-01 … ACC-06 (docs/rules.md, "ACC: access"): for each rule a case where it fires, one where it must not, and the boundaries.
import { describe, expect, it } from 'vitest';
import {
  AS_OF,
  DAY_MS,
  afterAsOf,
  byRule,
  daysAgo,
  only,
  role,
  snapshot,
  subjectsOf,
} from '../../support/snapshot-builder.js';

describe('ACC-01 departed-staff-active', () => {
  it('fires for a live user whose email matches a terminated person, ignoring case and surrounding spaces', () => {
    const result = snapshot()
      .user({ id: 12, name: 'Ann Lee', email: '  Ann.Lee@ACME.example ', roles: [role('admin')] })
      .person({ email: 'ann.lee@acme.example', status: 'terminated' })
      .check();
    expect(only(result, 'ACC-01', '12')).toMatchObject({
      name: 'departed-staff-active',
      severity: 'critical',
      subject: { type: 'user', id: '12', label: 'Ann Lee' },
      action: 'remove_user',
      requires_approval: true,
    });
  });

  it('normalises the directory side too', () => {
    const result = snapshot()
      .user({ id: 12, email: 'ann.lee@acme.example' })
      .person({ email: '\tANN.LEE@acme.example  ', status: 'terminated' })
      .check();
    expect(subjectsOf(result, 'ACC-01')).toEqual(['12']);
  });

  it('treats an end_date at as-of as departed, and one a millisecond later as not yet', () => {
    const at = snapshot().user({ id: 1 }).person({ email: 'user1@acme.example', end_date: AS_OF }).check();
    expect(subjectsOf(at, 'ACC-01')).toEqual(['1']);
    const later = snapshot().user({ id: 1 }).person({ email: 'user1@acme.example', end_date: afterAsOf(1) }).check();
    expect(subjectsOf(later, 'ACC-01')).toEqual([]);
  });

  it('reads a date-only end_date as 00:00 UTC of that day', () => {
    const today = snapshot().user({ id: 1 }).person({ email: 'user1@acme.example', end_date: '2026-11-29' }).check();
    expect(subjectsOf(today, 'ACC-01')).toEqual(['1']);
    const tomorrow = snapshot().user({ id: 1 }).person({ email: 'user1@acme.example', end_date: '2026-11-30' }).check();
    expect(subjectsOf(tomorrow, 'ACC-01')).toEqual([]);
  });

  it('does not fire for an active person, an unmatched email, a deleted user, or without a directory', () => {
    const result = snapshot()
      .user({ id: 1, email: 'a@acme.example' })
      .user({ id: 2, email: 'b@acme.example', deleted_at: daysAgo(3) })
      .user({ id: 3, email: 'c@acme.example' })
      .person({ email: 'a@acme.example', status: 'active' })
      .person({ email: 'b@acme.example', status: 'terminated' })
      .person({ email: 'someone-else@acme.example', status: 'terminated' })
      .check();
    expect(subjectsOf(result, 'ACC-01')).toEqual([]);
    expect(subjectsOf(snapshot().user({ id: 1 }).check(), 'ACC-01')).toEqual([]);
  });

  it('fires for a departed machine account too: a departed user is any live user', () => {
    const result = snapshot().machine({ id: 5, email: 'bot@acme.example' }).person({ email: 'bot@acme.example', status: 'terminated' }).check();
    expect(subjectsOf(result, 'ACC-01')).toEqual(['5']);
  });

  it('lists in evidence the live tokens the removal destroys, with name and last use', () => {
    const result = snapshot()
      .user({ id: 12, email: 'ann@acme.example' })
      .person({ email: 'ann@acme.example', status: 'terminated' })
      .token({ id: 'tok_a', user_id: '12', name: 'ann-export', usage: [{ used_at: daysAgo(5) }, { used_at: daysAgo(2) }, { used_at: daysAgo(9) }] })
      .token({ id: 'tok_b', user_id: 12, name: 'ann-never' })
      .token({ id: 'tok_revoked', user_id: 12, revoked: true })
      .token({ id: 'tok_expired', user_id: 12, expires_at: AS_OF })
      .token({ id: 'tok_other', user_id: 13 })
      .check();
    const evidence = only(result, 'ACC-01', '12').evidence;
    expect(evidence.tokens_destroyed).toEqual([
      { id: 'tok_a', name: 'ann-export', last_used_at: daysAgo(2) },
      { id: 'tok_b', name: 'ann-never', last_used_at: null },
    ]);
  });
});

describe('ACC-02 unknown-account', () => {
  it('fires for a live human user that matches nobody, when the directory has people', () => {
    const result = snapshot()
      .user({ id: 1, email: 'known@acme.example' })
      .user({ id: 2, email: 'stranger@agency.example' })
      .user({ id: 3, email: null })
      .person({ email: 'known@acme.example' })
      .check();
    expect(subjectsOf(result, 'ACC-02')).toEqual(['2', '3']);
    expect(only(result, 'ACC-02', '2')).toMatchObject({ severity: 'high', action: 'review', requires_approval: false });
  });

  it('matches emails after trimming and lower-casing', () => {
    const result = snapshot().user({ id: 1, email: ' Known@Acme.Example' }).person({ email: 'KNOWN@acme.example ' }).check();
    expect(subjectsOf(result, 'ACC-02')).toEqual([]);
  });

  it('counts a departed person as a match (that is ACC-01, not ACC-02)', () => {
    const result = snapshot().user({ id: 1 }).person({ email: 'user1@acme.example', status: 'terminated' }).check();
    expect(subjectsOf(result, 'ACC-02')).toEqual([]);
    expect(subjectsOf(result, 'ACC-01')).toEqual(['1']);
  });

  it('does not fire without a directory, with an empty directory, for machines or for deleted users', () => {
    expect(subjectsOf(snapshot().user({ id: 1 }).check(), 'ACC-02')).toEqual([]);
    expect(subjectsOf(snapshot().user({ id: 1 }).emptyDirectory().check(), 'ACC-02')).toEqual([]);
    const result = snapshot()
      .machine({ id: 1 })
      .user({ id: 2, deleted_at: daysAgo(1) })
      .person({ email: 'someone@acme.example' })
      .check();
    expect(subjectsOf(result, 'ACC-02')).toEqual([]);
  });

  it('counts a directory person even when that person has no usable email', () => {
    // docs/rules.md, ACC-02: "when the directory lists anyone" — a roster row with a blank email is still a person.
    const result = snapshot().user({ id: 1 }).person({ email: '   ' }).check();
    expect(subjectsOf(result, 'ACC-02')).toEqual(['1']);
  });
});

describe('ACC-03 inactive-account', () => {
  const created = daysAgo(400);

  it('fires when the last activity is older than inactive_days; exactly 90 days is not older', () => {
    const result = snapshot()
      .user({ id: 1, created_at: created })
      .audit({ user_id: 1, created_at: daysAgo(90) })
      .user({ id: 2, created_at: created })
      .audit({ user_id: 2, created_at: daysAgo(90, 1) })
      .check();
    expect(subjectsOf(result, 'ACC-03')).toEqual(['2']);
    expect(only(result, 'ACC-03', '2')).toMatchObject({ severity: 'medium', action: 'remove_user', requires_approval: true });
  });

  it('takes the latest of audits, token usage (of any token the user owns) and the SSO login', () => {
    const result = snapshot()
      // audit by string user id "1" for user 1: recent → active
      .user({ id: 1, created_at: created })
      .audit({ user_id: '1', created_at: daysAgo(100) })
      .audit({ user_id: '1', created_at: daysAgo(5) })
      // usage of a revoked token still shows the user was active
      .user({ id: 2, created_at: created })
      .audit({ user_id: 2, created_at: daysAgo(200) })
      .token({ id: 't2', user_id: '2', revoked: true, created_at: created, usage: [{ used_at: daysAgo(3) }] })
      // SSO login via the directory, matched by normalised email
      .user({ id: 3, email: 'Cara@Acme.example', created_at: created })
      .person({ email: ' cara@acme.example', last_login_at: daysAgo(4) })
      // only old activity everywhere
      .user({ id: 4, email: 'dan@acme.example', created_at: created })
      .audit({ user_id: 4, created_at: daysAgo(120) })
      .token({ id: 't4', user_id: 4, created_at: created, usage: [{ used_at: daysAgo(150) }] })
      .person({ email: 'dan@acme.example', last_login_at: daysAgo(95) })
      .person({ email: 'user1@acme.example' })
      .person({ email: 'user2@acme.example' })
      .check();
    expect(subjectsOf(result, 'ACC-03')).toEqual(['4']);
    expect(only(result, 'ACC-03', '4').evidence).toMatchObject({ last_activity_at: daysAgo(95) });
  });

  it('does not count other users’ activity or system audits', () => {
    const result = snapshot()
      .user({ id: 1, created_at: created })
      .user({ id: 2, created_at: created })
      .audit({ user_id: 2, created_at: daysAgo(1) })
      .audit({ user_id: null, created_at: daysAgo(1) })
      .token({ id: 't', user_id: 2, usage: [{ used_at: daysAgo(1) }] })
      .check();
    expect(subjectsOf(result, 'ACC-03')).toEqual(['1']);
  });

  it('flags a never-active account only after new_account_grace_days', () => {
    const result = snapshot()
      .user({ id: 1, created_at: daysAgo(30) })
      .user({ id: 2, created_at: daysAgo(30, 1) })
      .check();
    expect(subjectsOf(result, 'ACC-03')).toEqual(['2']);
    expect(only(result, 'ACC-03', '2').evidence).toMatchObject({ last_activity_at: null });
  });

  it('leaves departed users (ACC-01), machines and deleted users alone', () => {
    const result = snapshot()
      .user({ id: 1, created_at: created })
      .person({ email: 'user1@acme.example', status: 'terminated' })
      .machine({ id: 2, created_at: created })
      .user({ id: 3, created_at: created, deleted_at: daysAgo(1) })
      .check();
    expect(subjectsOf(result, 'ACC-03')).toEqual([]);
    expect(subjectsOf(result, 'ACC-01')).toEqual(['1']);
  });

  it('follows policy overrides of inactive_days and new_account_grace_days', () => {
    const b = snapshot()
      .user({ id: 1, created_at: created })
      .audit({ user_id: 1, created_at: daysAgo(11) })
      .user({ id: 2, created_at: daysAgo(5) });
    expect(subjectsOf(b.check(), 'ACC-03')).toEqual([]);
    expect(subjectsOf(b.check({ inactive_days: 10 }), 'ACC-03')).toEqual(['1']);
    expect(subjectsOf(b.check({ new_account_grace_days: 4 }), 'ACC-03')).toEqual(['2']);
    expect(subjectsOf(b.check({ inactive_days: 11, new_account_grace_days: 5 }), 'ACC-03')).toEqual([]);
  });

  it('lists in evidence the live tokens the removal destroys, with name and last use', () => {
    const result = snapshot()
      .user({ id: 7, created_at: created })
      .token({ id: 'tok_old', user_id: 7, name: 'old-sync', created_at: created, usage: [{ used_at: daysAgo(200) }] })
      .token({ id: 'tok_gone', user_id: 7, revoked: true, created_at: created })
      .check();
    expect(only(result, 'ACC-03', '7').evidence.tokens_destroyed).toEqual([
      { id: 'tok_old', name: 'old-sync', last_used_at: daysAgo(200) },
    ]);
  });
});

describe('ACC-04 machine-role-interactive', () => {
  it('fires for a machine user whose email matches a directory person (active or not)', () => {
    const result = snapshot()
      .machine({ id: 1, email: ' Fay.Cole@acme.example' })
      .person({ email: 'fay.cole@ACME.example' })
      .machine({ id: 2, email: 'gone@acme.example' })
      .person({ email: 'gone@acme.example', status: 'terminated' })
      .machine({ id: 3 })
      .check();
    expect(subjectsOf(result, 'ACC-04')).toEqual(['1', '2']);
    expect(only(result, 'ACC-04', '1')).toMatchObject({ severity: 'critical', action: 'review', requires_approval: false });
  });

  it('recognises the machine role case-insensitively', () => {
    const result = snapshot().user({ id: 1, roles: [role('MACHINE')] }).person({ email: 'user1@acme.example' }).check();
    expect(subjectsOf(result, 'ACC-04')).toEqual(['1']);
    expect(subjectsOf(result, 'ACC-02')).toEqual([]);
  });

  it('fires for a browser audit newer than interactive_lookback_days; exactly 90 days is not newer', () => {
    const result = snapshot()
      .machine({ id: 1 })
      .audit({ user_id: 1, user_agent: 'Mozilla/5.0 (X11)', created_at: daysAgo(90) })
      .machine({ id: 2 })
      .audit({ user_id: '2', user_agent: 'Mozilla/5.0 (X11)', created_at: daysAgo(90, -1) })
      .check();
    expect(subjectsOf(result, 'ACC-04')).toEqual(['2']);
  });

  it('only counts user agents beginning with "Mozilla/" (case-sensitive)', () => {
    const result = snapshot()
      .machine({ id: 1 })
      .audit({ user_id: 1, user_agent: 'mozilla/5.0', created_at: daysAgo(1) })
      .machine({ id: 2 })
      .audit({ user_id: 2, user_agent: 'PosSync/4.2 Mozilla/5.0', created_at: daysAgo(1) })
      .machine({ id: 3 })
      .audit({ user_id: 3, user_agent: null, created_at: daysAgo(1) })
      .check();
    expect(subjectsOf(result, 'ACC-04')).toEqual([]);
  });

  it('does not fire for humans in a browser or for deleted machines', () => {
    const result = snapshot()
      .user({ id: 1 })
      .audit({ user_id: 1, user_agent: 'Mozilla/5.0', created_at: daysAgo(1) })
      .machine({ id: 2, email: 'x@acme.example', deleted_at: daysAgo(1) })
      .audit({ user_id: 2, user_agent: 'Mozilla/5.0', created_at: daysAgo(1) })
      .person({ email: 'x@acme.example' })
      .person({ email: 'user1@acme.example' })
      .check();
    expect(subjectsOf(result, 'ACC-04')).toEqual([]);
  });

  it('follows a policy override of interactive_lookback_days', () => {
    const b = snapshot().machine({ id: 1 }).audit({ user_id: 1, user_agent: 'Mozilla/5.0', created_at: daysAgo(20) });
    expect(subjectsOf(b.check(), 'ACC-04')).toEqual(['1']);
    expect(subjectsOf(b.check({ interactive_lookback_days: 20 }), 'ACC-04')).toEqual([]);
  });
});

describe('ACC-05 machine-role-combined', () => {
  it('fires for a machine user that also holds another role', () => {
    const result = snapshot()
      .user({ id: 1, roles: [role('machine'), role('manager')] })
      .user({ id: 2, roles: [role('reporting'), role('Machine')] })
      .check();
    expect(subjectsOf(result, 'ACC-05')).toEqual(['1', '2']);
    expect(only(result, 'ACC-05', '1')).toMatchObject({ severity: 'high', action: 'review', requires_approval: false });
  });

  it('does not fire for a machine-only user, a human with several roles, or a deleted one', () => {
    const result = snapshot()
      .machine({ id: 1 })
      .user({ id: 2, roles: [role('machine'), role('MACHINE')] })
      .user({ id: 3, roles: [role('admin'), role('manager')] })
      .user({ id: 4, roles: [role('machine'), role('admin')], deleted_at: daysAgo(1) })
      .check();
    expect(subjectsOf(result, 'ACC-05')).toEqual([]);
  });
});

describe('ACC-06 too-many-admins', () => {
  const admins = (n: number, tenant = 'acme') => {
    const b = snapshot(tenant);
    for (let i = 1; i <= n; i++) b.user({ id: i, roles: [role('admin')] });
    return b;
  };

  it('fires once, on the tenant, when live admins exceed max_admins', () => {
    const result = admins(4).check();
    expect(byRule(result, 'ACC-06')).toHaveLength(1);
    expect(only(result, 'ACC-06', 'acme')).toMatchObject({
      severity: 'medium',
      subject: { type: 'tenant', id: 'acme' },
      action: 'review',
      requires_approval: false,
      evidence: { admin_count: 4, max_admins: 3 },
    });
  });

  it('does not fire at exactly max_admins, and does not count deleted admins', () => {
    expect(subjectsOf(admins(3).check(), 'ACC-06')).toEqual([]);
    expect(subjectsOf(admins(3).user({ id: 9, roles: [role('admin')], deleted_at: daysAgo(1) }).check(), 'ACC-06')).toEqual([]);
  });

  it('counts a machine user holding admin as an admin', () => {
    expect(subjectsOf(admins(3).user({ id: 9, roles: [role('machine'), role('admin')] }).check(), 'ACC-06')).toEqual(['acme']);
  });

  it('counts a user listed twice once', () => {
    const result = admins(3).user({ id: 3, roles: [role('admin')] }).check();
    expect(subjectsOf(result, 'ACC-06')).toEqual([]);
  });

  it('follows a policy override of max_admins', () => {
    expect(subjectsOf(admins(4).check({ max_admins: 4 }), 'ACC-06')).toEqual([]);
    expect(subjectsOf(admins(1).check({ max_admins: 0 }), 'ACC-06')).toEqual(['acme']);
    expect(subjectsOf(admins(0).check({ max_admins: 0 }), 'ACC-06')).toEqual([]);
  });
});

describe('ids are compared as strings', () => {
  it('joins a numeric user id with string token and audit user ids, and a string user id with numeric ones', () => {
    const result = snapshot()
      .user({ id: 12, created_at: daysAgo(400) })
      .audit({ user_id: '12', created_at: daysAgo(1) })
      .token({ id: 't1', user_id: '12' })
      .user({ id: '13', created_at: daysAgo(400) })
      .audit({ user_id: 13, created_at: daysAgo(1) })
      .token({ id: 't2', user_id: 13 })
      .check();
    expect(subjectsOf(result, 'ACC-03')).toEqual([]);
    expect(subjectsOf(result, 'TOK-07')).toEqual([]);
    expect(subjectsOf(result, 'TOK-06')).toEqual(['t1', 't2']);
  });

  it('keeps one subject id for 12 and "12"', () => {
    const result = snapshot()
      .user({ id: 12, created_at: daysAgo(400) })
      .user({ id: '12', created_at: daysAgo(400) })
      .check();
    expect(byRule(result, 'ACC-03').map((f) => f.subject.id)).toEqual(['12']);
  });
});

it('uses the DAY_MS of docs/rules.md (86 400 000 ms)', () => {
  expect(Date.parse(daysAgo(1)) + DAY_MS).toBe(Date.parse(AS_OF));
});
