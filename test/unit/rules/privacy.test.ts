// PRV-01 … PRV-04 (docs/rules.md, "PRV: privacy" and "Definitions"): GDPR erasure requests. The deadline is
// the request's deadline_at when it has one, else received_at + erasure_deadline_days; a request is open
// while its status is none of verified, not_found, retained.
import { describe, expect, it } from 'vitest';
import { ERASURE_STATUSES } from '../../../src/rules/snapshot.js';
import { DAY_MS, afterAsOf, daysAgo, only, snapshot, subjectsOf } from '../../support/snapshot-builder.js';

const OPEN_STATUSES = ['received', 'purging', 'purged', 'failed'] as const;
const CLOSED_STATUSES = ['verified', 'not_found', 'retained'] as const;

describe('open and closed erasure requests', () => {
  it('sorts every status of the snapshot format into open or closed', () => {
    expect([...ERASURE_STATUSES].sort()).toEqual([...OPEN_STATUSES, ...CLOSED_STATUSES].sort());
  });

  it.each(CLOSED_STATUSES)('never finds a %s request overdue, due soon or soft-deleted, by either deadline', (status) => {
    const result = snapshot()
      .erasure({ id: 'by-receipt', status, profile_id: 1, received_at: daysAgo(400) })
      .erasure({ id: 'by-own-deadline', status, profile_id: 2, received_at: daysAgo(2), deadline_at: daysAgo(1) })
      .erasure({ id: 'due-soon', status, profile_id: 3, received_at: daysAgo(2), deadline_at: afterAsOf(DAY_MS) })
      .audit({ event: 'deleted', auditable_type: 'Profile', auditable_id: 1 })
      .audit({ event: 'deleted', auditable_type: 'Profile', auditable_id: 2 })
      .check();
    expect(result.findings).toEqual([]);
  });

  it.each(OPEN_STATUSES)('finds a %s request overdue, due soon and soft-deleted', (status) => {
    const result = snapshot()
      .erasure({ id: 'overdue', status, profile_id: 1, received_at: daysAgo(2), deadline_at: daysAgo(1) })
      .erasure({ id: 'due-soon', status, profile_id: 2, received_at: daysAgo(2), deadline_at: afterAsOf(DAY_MS) })
      .audit({ event: 'deleted', auditable_type: 'Profile', auditable_id: 1 })
      .check();
    expect(subjectsOf(result, 'PRV-01')).toEqual(['overdue']);
    expect(subjectsOf(result, 'PRV-02')).toEqual(['due-soon']);
    expect(subjectsOf(result, 'PRV-03')).toEqual(['overdue']);
  });
});

describe('the erasure deadline', () => {
  it('is received_at + erasure_deadline_days when deadline_at is absent or null', () => {
    const result = snapshot()
      .erasure({ id: 'absent', received_at: daysAgo(30, 1) })
      .erasure({ id: 'null', received_at: daysAgo(30, 1), deadline_at: null })
      .check();
    expect(subjectsOf(result, 'PRV-01')).toEqual(['absent', 'null']);
    expect(only(result, 'PRV-01', 'null').evidence).toEqual(only(result, 'PRV-01', 'absent').evidence);
    expect(only(result, 'PRV-01', 'null').evidence).toMatchObject({ deadline: daysAgo(0, 1) });
  });

  it('is deadline_at when present, whatever the receipt and the policy say', () => {
    const b = snapshot()
      .erasure({ id: 'extended', received_at: daysAgo(400), deadline_at: afterAsOf(30 * DAY_MS) }) // long past receipt + 30 days
      .erasure({ id: 'shortened', received_at: daysAgo(1), deadline_at: daysAgo(0, 1) }) // long before receipt + 30 days
      .erasure({ id: 'before-receipt', received_at: daysAgo(1), deadline_at: daysAgo(2) });
    for (const policy of [{}, { erasure_deadline_days: 0 }, { erasure_deadline_days: 1000 }]) {
      const result = b.check(policy);
      expect(subjectsOf(result, 'PRV-01'), JSON.stringify(policy)).toEqual(['before-receipt', 'shortened']);
      expect(subjectsOf(result, 'PRV-02'), JSON.stringify(policy)).toEqual([]);
      expect(only(result, 'PRV-01', 'shortened').evidence).toMatchObject({ deadline: daysAgo(0, 1), days_overdue: 0 });
    }
  });

  it('moves from due soon to overdue as as-of passes deadline_at', () => {
    const deadline = '2026-12-10T12:00:00.000Z';
    const b = snapshot().erasure({ id: 'r', received_at: '2026-11-01T00:00:00Z', deadline_at: deadline });
    const at = (asOf: number) => {
      const result = b.check({}, asOf);
      return [subjectsOf(result, 'PRV-01').length, subjectsOf(result, 'PRV-02').length];
    };
    const d = Date.parse(deadline);
    expect(at(d - 7 * DAY_MS - 1)).toEqual([0, 0]); // more than erasure_warning_days ahead
    expect(at(d - 7 * DAY_MS)).toEqual([0, 1]); // exactly at the warning boundary
    expect(at(d - 1)).toEqual([0, 1]);
    expect(at(d)).toEqual([0, 1]); // at the deadline: not yet overdue
    expect(at(d + 1)).toEqual([1, 0]);
    expect(at(d + 400 * DAY_MS)).toEqual([1, 0]);
  });

  it('reports deadline_at as the evidence deadline, with the same keys as before', () => {
    const result = snapshot()
      .erasure({ id: 'late', status: 'purging', received_at: daysAgo(50), deadline_at: daysAgo(3, 1) })
      .erasure({ id: 'soon', received_at: daysAgo(50), deadline_at: afterAsOf(2 * DAY_MS + 1) })
      .check();
    expect(only(result, 'PRV-01', 'late')).toMatchObject({
      title: "Erasure request 'late' is past its deadline by 3 days",
      evidence: { status: 'purging', received_at: daysAgo(50), deadline: daysAgo(3, 1), days_overdue: 3 },
    });
    expect(Object.keys(only(result, 'PRV-01', 'late').evidence).sort()).toEqual(['days_overdue', 'deadline', 'received_at', 'status']);
    expect(only(result, 'PRV-02', 'soon')).toMatchObject({
      title: "Erasure request 'soon' is due in 2 days",
      evidence: { status: 'received', received_at: daysAgo(50), deadline: afterAsOf(2 * DAY_MS + 1), days_left: 2 },
    });
    expect(Object.keys(only(result, 'PRV-02', 'soon').evidence).sort()).toEqual(['days_left', 'deadline', 'received_at', 'status']);
  });
});

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

  it.each(CLOSED_STATUSES)('does not fire for a %s request', (status) => {
    const result = snapshot().erasure({ id: 'r', status, received_at: daysAgo(400), verified_at: status === 'verified' ? daysAgo(390) : null }).check();
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

  it('fires at a deadline_at exactly as-of + erasure_warning_days, and not 1 ms later', () => {
    const result = snapshot()
      .erasure({ id: 'edge', received_at: daysAgo(100), deadline_at: afterAsOf(7 * DAY_MS) })
      .erasure({ id: 'beyond', received_at: daysAgo(100), deadline_at: afterAsOf(7 * DAY_MS + 1) })
      .erasure({ id: 'at-as-of', received_at: daysAgo(100), deadline_at: afterAsOf(0) })
      .check();
    expect(subjectsOf(result, 'PRV-02')).toEqual(['at-as-of', 'edge']);
    expect(only(result, 'PRV-02', 'at-as-of').evidence).toMatchObject({ days_left: 0 });
    expect(subjectsOf(result, 'PRV-01')).toEqual([]);
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

  it.each(ERASURE_STATUSES.filter((s) => s !== 'failed'))('does not fire for a %s request', (status) => {
    expect(subjectsOf(snapshot().erasure({ id: 'r', status, received_at: daysAgo(400), deadline_at: daysAgo(300) }).check(), 'PRV-04')).toEqual([]);
  });

  it('fires for a failed request whatever its deadline, with PRV-01 or PRV-02 as the deadline_at says', () => {
    const result = snapshot()
      .erasure({ id: 'far', status: 'failed', received_at: daysAgo(400), deadline_at: afterAsOf(60 * DAY_MS) })
      .erasure({ id: 'soon', status: 'failed', received_at: daysAgo(1), deadline_at: afterAsOf(DAY_MS) })
      .erasure({ id: 'late', status: 'failed', received_at: daysAgo(1), deadline_at: daysAgo(0, 1) })
      .check();
    expect(subjectsOf(result, 'PRV-04')).toEqual(['far', 'late', 'soon']);
    expect(subjectsOf(result, 'PRV-01')).toEqual(['late']);
    expect(subjectsOf(result, 'PRV-02')).toEqual(['soon']);
    expect(only(result, 'PRV-04', 'far').evidence).toEqual({ status: 'failed', received_at: daysAgo(400), deadline: afterAsOf(60 * DAY_MS) });
  });
});
