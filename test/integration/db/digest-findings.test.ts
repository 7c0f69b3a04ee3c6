// The digest's read of the ledger (one statement, status decided in SQL, no time columns; issue 16)
// against what the two reads before it gave: open and resolved findings through listFindings, new
// versus persisting decided from first_seen and reopened_at in JavaScript. On both backends, over
// runs that make every case: new, persisting, re-opened after or before the previous digest,
// resolved after or before it, suppressed and expired suppressions, and findings the digest's sort
// ranks equal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFindings, findingOfRow } from '../../../src/audit/digest-findings.js';
import type { FindingRow } from '../../../src/db/database.js';
import type { Db } from '../../../src/db/executor.js';
import { listFindings, recordFindings } from '../../../src/db/findings.repository.js';
import { createRun } from '../../../src/db/job-runs.repository.js';
import { suppressFinding } from '../../../src/db/suppressions.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import type { DigestFindings } from '../../../src/mail/templates/digest.template.js';
import { compareFindings, fingerprint } from '../../../src/rules/engine.js';
import type { Finding, Severity } from '../../../src/rules/types.js';
import { BACKENDS, createTestDatabase, type Backend, type TestDatabase } from '../../support/db.js';

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 9, 0, 0));
const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];
const RULES = ['ACC-01', 'TOK-01'];

/** Finding `i` of `rule`; every fifth pair shares its subject with the next one (equal in the digest's sort). */
function finding(tenant: string, rule: string, i: number): Finding {
  const n = i - (i % 5 === 1 ? 1 : 0);
  const id = `s-${n}`;
  return {
    rule,
    name: rule.toLowerCase(),
    severity: SEVERITIES[n % SEVERITIES.length]!,
    subject: { type: 'user', id, label: `subject ${i}` },
    title: `${rule} #${i}`,
    evidence: { i, seen: [i, 'x'] },
    action: 'review',
    requires_approval: i % 2 === 0,
    // Two findings of one subject and rule differ by something else in real rules: here, the number.
    fingerprint: fingerprint(rule, tenant, 'user', `${id}/${i}`),
  };
}

/**
 * The digest's read as it was before issue 16, written out from every row of the ledger: suppressed
 * ones left out, the open split by first_seen and reopened_at, the resolved ones since `since`.
 */
async function formerDigestFindings(db: Db, tenant: string, since: Date | undefined, at: Date): Promise<DigestFindings> {
  const rows = (await listFindings(db, { tenant, state: 'all', at })).filter((r) => !r.suppressed);
  const open = rows.filter((r) => r.resolved_at === null);
  const resolved = rows.filter((r) => r.resolved_at !== null && (since === undefined || r.resolved_at >= since));
  const isNew = (r: FindingRow) => since === undefined || r.first_seen >= since || (r.reopened_at !== null && r.reopened_at >= since);
  return {
    created: open.filter(isNew).map(findingOfRow),
    persisting: open.filter((r) => !isNew(r)).map(findingOfRow),
    resolved: resolved.map(findingOfRow),
  };
}

/** The lists in one order: the former read's order among equal findings was the database's choice. */
const byFingerprint = (d: DigestFindings) => {
  const sort = (fs: readonly Finding[]) => [...fs].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
  return { created: sort(d.created), persisting: sort(d.persisting), resolved: sort(d.resolved) };
};

describe.each(BACKENDS)('the digest read on %s', (backend: Backend) => {
  let t: TestDatabase;
  const tenant = 'acme';
  beforeAll(async () => {
    t = await createTestDatabase(backend);
    await addTenant(t.db, { name: tenant, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' });
    const all = (from: number, to: number) => RULES.flatMap((rule) => Array.from({ length: to - from }, (_, k) => finding(tenant, rule, from + k)));
    const runs: { at: Date; findings: Finding[] }[] = [
      { at: day(1), findings: all(0, 300) },
      // 200..299 resolve on day 2; 300..349 are new.
      { at: day(2), findings: all(0, 200).concat(all(300, 350)) },
      // 250..299 come back on day 4 (re-opened after a digest of day 3), 100..149 resolve.
      { at: day(4), findings: all(0, 100).concat(all(150, 200), all(250, 350)) },
      // 350..379 new on day 6.
      { at: day(6), findings: all(0, 100).concat(all(150, 200), all(250, 380)) },
    ];
    for (const [n, run] of runs.entries()) {
      const runId = (await createRun(t.db, { kind: 'audit', tenant, scheduledFor: run.at, idempotencyKey: `r${n}` })).run.id;
      await recordFindings(t.db, { tenant, runId, rules: RULES, findings: run.findings, at: run.at });
    }
    // Suppressed at the digest: an open one and a resolved one; one whose suppression has expired by then.
    for (const [i, expires] of [[10, day(30)], [120, day(30)], [20, day(5)]] as const) {
      await suppressFinding(t.db, { tenant, fingerprint: finding(tenant, 'ACC-01', i).fingerprint, reason: 'accepted', author: 'ann', expiresAt: expires, at: day(1) });
    }
  });
  afterAll(() => t.destroy());

  it.each([
    ['no previous digest', undefined],
    ['a digest before everything', day(1)],
    ['a digest between the runs', day(3)],
    ['a digest after the last run', day(7)],
  ])('gives what the former two reads gave, with %s', async (_, since) => {
    const at = day(8);
    const got = await digestFindings(t.db, tenant, since, at);
    expect(byFingerprint(got)).toEqual(byFingerprint(await formerDigestFindings(t.db, tenant, since, at)));
    // Each list in the digest's order, equal findings in fingerprint order: the same every time.
    const ordered = (fs: readonly Finding[]) => [...fs].sort((a, b) => compareFindings(a, b) || (a.fingerprint < b.fingerprint ? -1 : 1));
    for (const list of [got.created, got.persisting, got.resolved]) expect(list).toEqual(ordered(list));
    const ties = (fs: readonly Finding[]) => fs.some((f, k) => k > 0 && compareFindings(f, fs[k - 1]!) === 0);
    expect(ties(got.created) || ties(got.persisting)).toBe(true);
  });

  it('makes every case it compares: new, persisting, re-opened, resolved, suppressed', async () => {
    const at = day(8);
    const got = await digestFindings(t.db, tenant, day(3), at);
    const numbers = (fs: readonly Finding[], rule: string) => fs.filter((f) => f.rule === rule).map((f) => (f.evidence as { i: number }).i).sort((a, b) => a - b);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
    // New since day 3: re-opened 250..299 and first seen 350..379.
    expect(numbers(got.created, 'TOK-01')).toEqual([...range(250, 300), ...range(350, 380)]);
    // Persisting: open from before day 3, 10 suppressed for ACC-01 only; 20's suppression expired.
    expect(numbers(got.persisting, 'TOK-01')).toEqual([...range(0, 100), ...range(150, 200), ...range(300, 350)]);
    expect(numbers(got.persisting, 'ACC-01')).toEqual([...range(0, 100), ...range(150, 200), ...range(300, 350)].filter((i) => i !== 10));
    // Resolved on day 4 (after the digest): 100..149, 120 suppressed for ACC-01; those resolved on day 2 are not listed.
    expect(numbers(got.resolved, 'TOK-01')).toEqual(range(100, 150));
    expect(numbers(got.resolved, 'ACC-01')).toEqual(range(100, 150).filter((i) => i !== 120));
  });
});
