// PRV-01 … PRV-04 (docs/rules.md, "PRV: privacy"): GDPR erasure requests (deadline = received_at + erasure_deadline_days).
import { describe, expect, it } from 'vitest';
import { DAY_MS, daysAgo, only, snapshot, subjectsOf } from '../../support/snapshot-builder.js';

const OPEN_STATUSES = ['received', 'purging', 'purged', 'failed'] as const;

describe('PRV-01 erasure-overdue', () => {
  it('fires when the deadline is before as-of; a deadline at as-of is not overdue', () => {
    const result = snapshot()
      .erasure({ id: 'at', received_at: daysAgo(30) })
      .erasure({ id: 'past', received_at: daysAgo(30, 1) })
      .check();
    expect(subjectsOf(result, 'PRV-01')).toEqual(['past']);
    expect(only(result, 'PRV-01', 'past')).toMatchObject({
      name: 'erasure-overdue',
      severity: 'critical',
      subject: { type: 'erasure_request', id: 'past' },
      action: 'escalate',
      requires_approval: false,
    });
  });

  it.each(OPEN_STATUSES)('counts a %s request as open', (status) => {
    expect(subjectsOf(snapshot().erasure({ id: 'r', status, received_at: daysAgo(40) }).check(), 'PRV-01')).toEqual(['r']);
  });

  it('does not fire for a verified request', () => {
    const result = snapshot().erasure({ id: 'r', status: 'verified', received_at: daysAgo(400), verified_at: daysAgo(390) }).check();
    expect(result.findings).toEqual([]);
  });

  it('follows a policy override of erasure_deadline_days', () => {
    const b = snapshot().erasure({ id: 'r', received_at: daysAgo(20) });
    expect(subjectsOf(b.check(), 'PRV-01')).toEqual([]);
    expect(subjectsOf(b.check({ erasure_deadline_days: 19 }), 'PRV-01')).toEqual(['r']);
  });

  it('keeps the profile id out of the finding: it is a customer identifier', () => {
    const result = snapshot().erasure({ id: 'er-1', profile_id: 'profile-8675309', received_at: daysAgo(40) }).check();
    expect(JSON.stringify(result)).not.toContain('8675309');
  });
});

describe('PRV-02 erasure-due-soon', () => {
  it('fires for an open request due at or before as-of + erasure_warning_days', () => {
    const result = snapshot()
      .erasure({ id: 'at-deadline', received_at: daysAgo(30) }) // due at as-of: not overdue, due soon
      .erasure({ id: 'edge', received_at: daysAgo(23) }) // due exactly as-of + 7 days
      .erasure({ id: 'beyond', received_at: daysAgo(23, -1) }) // due 1 ms later
      .erasure({ id: 'overdue', received_at: daysAgo(31) })
      .erasure({ id: 'done', received_at: daysAgo(25), status: 'verified' })
      .check();
    expect(subjectsOf(result, 'PRV-02')).toEqual(['at-deadline', 'edge']);
    expect(subjectsOf(result, 'PRV-01')).toEqual(['overdue']);
    expect(only(result, 'PRV-02', 'edge')).toMatchObject({ name: 'erasure-due-soon', severity: 'medium', action: 'escalate', requires_approval: false });
  });

  it('follows policy overrides of erasure_warning_days and erasure_deadline_days', () => {
    const b = snapshot().erasure({ id: 'r', received_at: daysAgo(10) }); // due in 20 days
    expect(subjectsOf(b.check(), 'PRV-02')).toEqual([]);
    expect(subjectsOf(b.check({ erasure_warning_days: 20 }), 'PRV-02')).toEqual(['r']);
    expect(subjectsOf(b.check({ erasure_warning_days: 19 }), 'PRV-02')).toEqual([]);
    expect(subjectsOf(b.check({ erasure_deadline_days: 17 }), 'PRV-02')).toEqual(['r']);
  });

  it('is computed in milliseconds, not calendar days', () => {
    const result = snapshot().erasure({ id: 'r', received_at: new Date(Date.parse(daysAgo(23)) + DAY_MS / 2).toISOString() }).check();
    expect(subjectsOf(result, 'PRV-02')).toEqual([]);
  });
});

describe('PRV-03 erasure-by-soft-delete', () => {
  it('fires for an open request whose profile was deleted with the standard delete', () => {
    const result = snapshot()
      .erasure({ id: 'soft', profile_id: 55 })
      .erasure({ id: 'soft-str', profile_id: '56' })
      .audit({ event: 'deleted', auditable_type: 'Profile', auditable_id: '55' })
      .audit({ event: 'deleted', auditable_type: 'Profile', auditable_id: 56 })
      .check();
    expect(subjectsOf(result, 'PRV-03')).toEqual(['soft', 'soft-str']);
    expect(only(result, 'PRV-03', 'soft')).toMatchObject({
      name: 'erasure-by-soft-delete',
      severity: 'high',
      action: 'purge_profile',
      requires_approval: false,
    });
  });

  it('needs event "deleted" on auditable_type "Profile" for that profile, and an open request', () => {
    const result = snapshot()
      .erasure({ id: 'updated', profile_id: 1 })
      .audit({ event: 'updated', auditable_type: 'Profile', auditable_id: 1 })
      .erasure({ id: 'other-type', profile_id: 2 })
      .audit({ event: 'deleted', auditable_type: 'Transaction', auditable_id: 2 })
      .erasure({ id: 'other-profile', profile_id: 3 })
      .audit({ event: 'deleted', auditable_type: 'Profile', auditable_id: 33 })
      .erasure({ id: 'verified', profile_id: 4, status: 'verified' })
      .audit({ event: 'deleted', auditable_type: 'Profile', auditable_id: 4 })
      .check();
    expect(subjectsOf(result, 'PRV-03')).toEqual([]);
  });
});

describe('PRV-04 erasure-failed', () => {
  it('fires for a failed request, alongside PRV-01 when it is also overdue', () => {
    const result = snapshot()
      .erasure({ id: 'failed-new', status: 'failed' })
      .erasure({ id: 'failed-old', status: 'failed', received_at: daysAgo(60) })
      .check();
    expect(subjectsOf(result, 'PRV-04')).toEqual(['failed-new', 'failed-old']);
    expect(subjectsOf(result, 'PRV-01')).toEqual(['failed-old']);
    expect(only(result, 'PRV-04', 'failed-new')).toMatchObject({ name: 'erasure-failed', severity: 'critical', action: 'escalate', requires_approval: false });
  });

  it.each(['received', 'purging', 'purged', 'verified'])('does not fire for a %s request', (status) => {
    expect(subjectsOf(snapshot().erasure({ id: 'r', status }).check(), 'PRV-04')).toEqual([]);
  });
});
