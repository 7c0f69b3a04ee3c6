// The pure parts of the findings read model: which runs surely saw a finding,
// and the order of its history.
import { describe, expect, it } from 'vitest';
import { historyOf, jobKindOf, seenForCertain } from '../../../src/app/findings-view.js';
import type { AuditLogRow, FindingRow } from '../../../src/db/database.js';

const at = (day: number, hour = 6) => new Date(Date.UTC(2026, 10, day, hour));

function row(patch: Partial<FindingRow> = {}): FindingRow {
  return {
    tenant: 'acme', fingerprint: 'f'.repeat(32), rule: 'TOK-01', name: 'token-age', severity: 'high',
    subject_type: 'token', subject_id: 't1', subject_label: 'sync', title: 'Token is old', action: 'rotate_token',
    requires_approval: false, evidence: {}, first_seen: at(1), last_seen: at(10), resolved_at: null, reopened_at: null, last_run_id: 10,
    ...patch,
  };
}

function entry(id: number, when: Date, action: string, details: Record<string, unknown> = {}): AuditLogRow {
  return { id, at: when, actor: 'ann@acme.example', action, subject: `finding:acme/${'f'.repeat(32)}`, details, prev_hash: '', hash: '', chain: 'hmac-sha256' };
}

describe('seenForCertain', () => {
  it('counts every run in the span of a finding never reopened: each one would have resolved it otherwise', () => {
    expect(seenForCertain(row(), at(5), at(5, 7))).toBe(true);
  });

  it('is unsure, for a reopened finding, of the runs between its first sighting and its reopening', () => {
    const reopened = row({ reopened_at: at(6) });
    expect(seenForCertain(reopened, at(1, 5), at(1, 7)), 'the run that first saw it').toBe(true);
    expect(seenForCertain(reopened, at(3), at(3, 7)), 'resolved somewhere in here').toBe(false);
    expect(seenForCertain(reopened, at(6, 5), at(6, 7)), 'the run that reopened it').toBe(true);
    expect(seenForCertain(reopened, at(8), at(8, 7))).toBe(true);
    expect(seenForCertain(reopened, null, null)).toBe(false);
  });
});

describe('historyOf', () => {
  it('merges the row’s instants with the audit log’s entries, oldest first, naming suppressions', () => {
    const history = historyOf(row({ reopened_at: at(6), resolved_at: at(12) }), [
      entry(1, at(2), 'finding.suppressed', { reason: 'r', expires_at: at(4).toISOString() }),
      entry(2, at(3), 'finding.unsuppressed'),
      entry(3, at(7), 'finding.noted'),
    ]);
    expect(history.map((h) => [h.at.getUTCDate(), h.event, h.actor])).toEqual([
      [1, 'first_seen', null],
      [2, 'suppressed', 'ann@acme.example'],
      [3, 'unsuppressed', 'ann@acme.example'],
      [6, 'reopened', null],
      [7, 'audit', 'ann@acme.example'],
      [12, 'resolved', null],
    ]);
    expect(history[1]!.details).toEqual({ reason: 'r', expires_at: at(4).toISOString() });
  });
});

describe('jobKindOf', () => {
  it('names the audit job of each family', () => {
    expect(['access', 'tokens', 'network', 'secrets', 'privacy'].map((f) => jobKindOf(f as never))).toEqual([
      'stale-accounts', 'token-hygiene', 'allowlist-audit', 'secret-rotation', 'erasure-sweep',
    ]);
  });
});
