import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { InputError } from '../../../src/errors.js';
import { UnknownTenantError } from '../../../src/db/errors.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createRun } from '../../../src/db/job-runs.repository.js';
import { FINDINGS_CHUNK_ROWS, listFindings, countOpenFindings, recordFindings } from '../../../src/db/findings.repository.js';
import { suppressFinding } from '../../../src/db/suppressions.repository.js';
import { fingerprint } from '../../../src/rules/engine.js';
import type { Finding, Severity } from '../../../src/rules/types.js';
import type { Db } from '../../../src/db/executor.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../../support/db.js';

const TENANT = 'acme';

function finding(rule: string, subjectId: string, severity: Severity = 'high', evidence: Record<string, unknown> = {}): Finding {
  return {
    rule,
    name: rule.toLowerCase(),
    severity,
    subject: { type: rule.startsWith('TOK') ? 'token' : 'user', id: subjectId, label: `label ${subjectId}` },
    title: `${rule} on ${subjectId}`,
    evidence,
    action: 'review',
    requires_approval: false,
    fingerprint: fingerprint(rule, TENANT, rule.startsWith('TOK') ? 'token' : 'user', subjectId),
  };
}

const day = (n: number) => new Date(Date.UTC(2026, 10, n));

describe.each(BACKENDS)('findings repository on %s', (backend) => {
  let t: TestDatabase;
  let run = 0;
  const newRun = async (kind = 'audit') => {
    run += 1;
    return (await createRun(t.db, { kind, tenant: TENANT, scheduledFor: day(1), idempotencyKey: `${kind}:${run}` })).run.id;
  };

  beforeEach(async () => {
    t = await createTestDatabase(backend);
    await addTenant(t.db, { name: TENANT, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' });
  });
  afterEach(async () => {
    await t.destroy();
  });

  it('classifies created, persisting and resolved across runs, keeping first_seen', async () => {
    const a = finding('TOK-01', 't1');
    const b = finding('TOK-01', 't2');
    const c = finding('TOK-02', 't3');
    const first = await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-01', 'TOK-02'], findings: [a, b], at: day(1) });
    expect(first).toEqual({ created: [a.fingerprint, b.fingerprint], reopened: [], persisting: [], resolved: [] });

    const second = await recordFindings(t.db, {
      tenant: TENANT,
      runId: await newRun(),
      rules: ['TOK-01', 'TOK-02'],
      findings: [{ ...b, evidence: { age_days: 99 } }, c],
      at: day(2),
    });
    expect(second.created).toEqual([c.fingerprint]);
    expect(second.persisting).toEqual([b.fingerprint]);
    expect(second.resolved).toEqual([a.fingerprint]);

    const rows = await listFindings(t.db, { tenant: TENANT, state: 'all' });
    const byFp = new Map(rows.map((r) => [r.fingerprint, r]));
    expect(byFp.get(b.fingerprint)).toMatchObject({ first_seen: day(1), last_seen: day(2), resolved_at: null, evidence: { age_days: 99 } });
    expect(byFp.get(a.fingerprint)?.resolved_at).toEqual(day(2));
  });

  it('resolves only findings of the rules the run evaluated', async () => {
    const access = finding('ACC-01', 'u1');
    const token = finding('TOK-01', 't1');
    await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['ACC-01', 'TOK-01'], findings: [access, token], at: day(1) });
    // A token run that finds nothing resolves the token finding and leaves the access one open.
    const tokenRun = await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-01'], findings: [], at: day(2) });
    expect(tokenRun.resolved).toEqual([token.fingerprint]);
    const open = await listFindings(t.db, { tenant: TENANT });
    expect(open.map((f) => f.fingerprint)).toEqual([access.fingerprint]);
  });

  it('re-opens a resolved finding that comes back', async () => {
    const a = finding('TOK-01', 't1');
    await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-01'], findings: [a], at: day(1) });
    await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-01'], findings: [], at: day(2) });
    const back = await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-01'], findings: [a], at: day(3) });
    expect(back).toEqual({ created: [a.fingerprint], reopened: [a.fingerprint], persisting: [], resolved: [] });
    const [row] = await listFindings(t.db, { tenant: TENANT });
    expect(row).toMatchObject({ first_seen: day(1), last_seen: day(3), resolved_at: null, reopened_at: day(3) });
  });

  it('writes more findings than one chunk in one transaction', async () => {
    const many = Array.from({ length: FINDINGS_CHUNK_ROWS + 123 }, (_, i) => finding('TOK-01', `t${i}`, 'low'));
    const out = await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-01'], findings: many, at: day(1) });
    expect(out.created).toHaveLength(many.length);
    expect(await countOpenFindings(t.db, TENANT)).toEqual({ critical: 0, high: 0, medium: 0, low: many.length });
  });

  it('rolls the whole run back when a later chunk fails', async () => {
    const many = Array.from({ length: FINDINGS_CHUNK_ROWS + 1 }, (_, i) => finding('TOK-01', `t${i}`, 'low'));
    // The last row breaks the severity CHECK, in the second chunk.
    many[many.length - 1] = { ...many[many.length - 1]!, severity: 'urgent' as Severity };
    await expect(recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-01'], findings: many, at: day(1) })).rejects.toThrow();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from findings`.execute(t.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('lists open findings most severe first and marks suppressed ones', async () => {
    const low = finding('TOK-03', 't9', 'low');
    const crit = finding('ACC-01', 'u2', 'critical');
    const high = finding('TOK-01', 't1', 'high');
    await recordFindings(t.db, { tenant: TENANT, runId: await newRun(), rules: ['TOK-03', 'ACC-01', 'TOK-01'], findings: [low, high, crit], at: day(1) });
    await suppressFinding(t.db, { tenant: TENANT, fingerprint: high.fingerprint, reason: 'vendor migration', author: 'ann', expiresAt: day(20), at: day(1) });
    const open = await listFindings(t.db, { tenant: TENANT, at: day(2) });
    expect(open.map((f) => [f.rule, f.suppressed])).toEqual([
      ['ACC-01', false],
      ['TOK-01', true],
      ['TOK-03', false],
    ]);
    // After expiry the suppression no longer marks it.
    const later = await listFindings(t.db, { tenant: TENANT, at: day(21) });
    expect(later.map((f) => [f.rule, f.suppressed])).toEqual([
      ['ACC-01', false],
      ['TOK-01', false],
      ['TOK-03', false],
    ]);
  });

  it('refuses bad input before writing anything', async () => {
    const runId = await newRun();
    const a = finding('TOK-01', 't1');
    await expect(recordFindings(t.db, { tenant: 'nobody', runId, rules: ['TOK-01'], findings: [a], at: day(1) })).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(recordFindings(t.db, { tenant: TENANT, runId, rules: ['ACC-01'], findings: [a], at: day(1) })).rejects.toThrow(
      new InputError('findings[0].rule', '"TOK-01" is not among the rules this run evaluated'),
    );
    await expect(recordFindings(t.db, { tenant: TENANT, runId, rules: ['TOK-01'], findings: [a, a], at: day(1) })).rejects.toThrow(
      'findings[1].fingerprint: duplicate of findings[0]',
    );
    await expect(recordFindings(t.db, { tenant: TENANT, runId, rules: [], findings: [], at: day(1) })).rejects.toBeInstanceOf(InputError);
    expect(await listFindings(t.db, { tenant: TENANT, state: 'all' })).toEqual([]);
  });

});

// Postgres only: PGlite is the same engine, but a laptop's ledger is not where the daily upsert's cost lies.
describe('findings table on postgres', () => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase('postgres');
    await addTenant(t.db, { name: TENANT, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' });
  });
  afterEach(() => t.destroy());

  it('updates the findings a run sees again in place: heap-only tuples, no index touched (fillfactor 50)', async () => {
    const findings = Array.from({ length: 2000 }, (_, i) => finding(i % 2 ? 'TOK-01' : 'ACC-01', `s${i}`, 'high', { i, pad: 'x'.repeat(300) }));
    const rules = ['TOK-01', 'ACC-01'];
    const record = async (db: Db, n: number) => {
      const runId = (await createRun(db, { kind: 'audit', tenant: TENANT, scheduledFor: day(n), idempotencyKey: `hot:${n}` })).run.id;
      return recordFindings(db, { tenant: TENANT, runId, rules, findings, at: day(n) });
    };
    // The session's counters, which include its earlier transactions until the server collects them: compared before and after.
    const counters = async (db: Db) => {
      const { rows } = await sql<{ updated: string; hot: string }>`select pg_stat_get_xact_tuples_updated('findings'::regclass) as updated,
        pg_stat_get_xact_tuples_hot_updated('findings'::regclass) as hot`.execute(db);
      return { updated: Number(rows[0]!.updated), hot: Number(rows[0]!.hot) };
    };
    await record(t.db, 1);
    for (const n of [2, 3]) {
      const got = await t.db.transaction().execute(async (trx) => {
        const before = await counters(trx);
        const outcome = await record(trx, n);
        const after = await counters(trx);
        return { persisting: outcome.persisting.length, updated: after.updated - before.updated, hot: after.hot - before.hot };
      });
      expect(got, `run ${n}`).toEqual({ persisting: 2000, updated: 2000, hot: 2000 });
    }
  });
});
