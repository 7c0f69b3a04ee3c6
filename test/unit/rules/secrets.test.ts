// SEC-01, SEC-02 (docs/rules.md, "SEC: secrets"): shared secrets and their rotation.
import { describe, expect, it } from 'vitest';
import { daysAgo, only, snapshot, subjectsOf } from '../../support/snapshot-builder.js';

describe('SEC-01 secret-age', () => {
  it('fires when the current version is older than secret_max_age_days; exactly 90 days is not older', () => {
    const result = snapshot()
      .secret({ name: 'at', current_version_created_at: daysAgo(90) })
      .secret({ name: 'past', kind: 'barcode', current_version_created_at: daysAgo(90, 1) })
      .secret({ name: 'fresh', current_version_created_at: daysAgo(0) })
      .check();
    expect(subjectsOf(result, 'SEC-01')).toEqual(['past']);
    expect(only(result, 'SEC-01', 'past')).toMatchObject({
      name: 'secret-age',
      severity: 'high',
      subject: { type: 'secret', id: 'past', label: 'past' },
      action: 'rotate_secret',
      requires_approval: false,
      evidence: { kind: 'barcode', age_days: 90 },
    });
  });

  it('follows a policy override of secret_max_age_days', () => {
    const b = snapshot().secret({ name: 's', current_version_created_at: daysAgo(31) });
    expect(subjectsOf(b.check(), 'SEC-01')).toEqual([]);
    expect(subjectsOf(b.check({ secret_max_age_days: 30 }), 'SEC-01')).toEqual(['s']);
  });
});

describe('SEC-02 secret-rotation-stuck', () => {
  it('fires when pending_since is older than secret_pending_max_days; exactly 7 days is not older', () => {
    const result = snapshot()
      .secret({ name: 'none', pending_since: null })
      .secret({ name: 'at', pending_since: daysAgo(7) })
      .secret({ name: 'past', kind: 'machine-password', pending_since: daysAgo(7, 1) })
      .check();
    expect(subjectsOf(result, 'SEC-02')).toEqual(['past']);
    expect(only(result, 'SEC-02', 'past')).toMatchObject({
      name: 'secret-rotation-stuck',
      severity: 'high',
      action: 'review',
      requires_approval: false,
      evidence: { kind: 'machine-password', pending_days: 7 },
    });
  });

  it('treats an absent pending_since as no rotation in progress', () => {
    const result = snapshot()
      .secret({ name: 's' })
      .edit((doc) => delete doc.secrets![0]!.pending_since)
      .check();
    expect(result.findings).toEqual([]);
  });

  it('follows a policy override of secret_pending_max_days, and fires with SEC-01 on the same secret', () => {
    const b = snapshot().secret({ name: 's', current_version_created_at: daysAgo(100), pending_since: daysAgo(2) });
    expect(b.check().findings.map((f) => f.rule)).toEqual(['SEC-01']);
    expect(b.check({ secret_pending_max_days: 1 }).findings.map((f) => f.rule)).toEqual(['SEC-01', 'SEC-02']);
  });
});
