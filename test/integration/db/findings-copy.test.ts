// The findings upsert through COPY (Postgres) against today's statements (PGlite): COPY's text format
// carries hostile text intact, the same runs leave the same rows and outcomes on both backends, and the
// temporary table neither outlives its transaction nor meets another run's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { openDatabase, type Database, type OpenedDatabase } from '../../../src/db/database.js';
import { bindAuditKey, inTransaction } from '../../../src/db/executor.js';
import { recordFindings, type RecordFindingsInput, type RecordFindingsOutcome } from '../../../src/db/findings.repository.js';
import { createRun } from '../../../src/db/job-runs.repository.js';
import { canCopyIn, copyIn, copyTextRow } from '../../../src/db/ledger-dialect.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { fingerprint } from '../../../src/rules/engine.js';
import type { Finding, Severity } from '../../../src/rules/types.js';
import { createTestDatabase, TEST_AUDIT_KEY, TEST_DATABASE_URL, type Backend, type TestDatabase } from '../../support/db.js';

const day = (n: number) => new Date(Date.UTC(2026, 10, n, 9, 30, 15, 123));

/** Text COPY's format must escape, or that looks like its markers, or that a byte-wise encoder could get wrong. */
const HOSTILE = [
  'tab\there',
  'new\nline',
  'crlf\r\nend',
  'lone\rreturn',
  'back\\slash',
  '\\N',
  '\\.',
  '\\.\n\\.',
  'ends with backslash\\',
  '\\\\t is not a tab',
  '\\t\t\\n\n',
  '',
  ' ',
  '"double" \'single\' `back`, comma; semi | pipe',
  '日本語 · ελληνικά · عربى · עברית \u202e reversed \u202c',
  'emoji 🚀👩‍💻 and e\u0301 combining',
  'line\u2028separator\u2029paragraph',
  'lone surrogate \ud800 here',
  '\u0001\u0007\u001b[31m escapes \u007f',
];

/** JSON escapes a lone surrogate as `\ud800`, which jsonb refuses on either path: evidence gets the rest. */
const HOSTILE_JSON = HOSTILE.filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s);

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

function finding(tenant: string, rule: string, i: number, variant = 0): Finding {
  const type = rule.startsWith('TOK') ? 'token' : 'user';
  const id = `${type}-${i}`;
  const text = HOSTILE[(i + variant) % HOSTILE.length]!;
  const jsonText = HOSTILE_JSON[(i + variant) % HOSTILE_JSON.length]!;
  return {
    rule,
    name: rule.toLowerCase(),
    severity: SEVERITIES[(i + variant) % SEVERITIES.length]!,
    subject: { type, id, label: `${text} #${i}` },
    title: `${rule}: ${text} (${variant})`,
    evidence: {
      text: jsonText,
      all: i % 7 === 0 ? HOSTILE_JSON : [],
      'key\twith\ntabs\\': { nested: [jsonText, i, variant, 0.1, 1e21, -0, true, null] },
      variant,
    },
    action: 'review',
    requires_approval: (i + variant) % 3 === 0,
    fingerprint: fingerprint(rule, tenant, type, id),
  };
}

/** Evidence of about a megabyte of JSON: the COPY goes out in many messages and one row spans several. */
function longEvidence(i: number): Record<string, unknown> {
  return { rows: Array.from({ length: 12_000 }, (_, n) => ({ n, i, line: `${HOSTILE_JSON[n % HOSTILE_JSON.length]}\t${n}` })) };
}

async function tableContents(db: Kysely<Database>, runIds: readonly number[]) {
  const rows = await db.selectFrom('findings').selectAll().orderBy('tenant').orderBy('fingerprint').execute();
  // Runs are compared by their place in the sequence, not by the id each database gave them.
  return rows.map((r) => ({ ...r, last_run_id: r.last_run_id === null ? null : runIds.indexOf(r.last_run_id) }));
}

/** The outcome with the lists whose order the database does not define (rows read or updated in place) sorted. */
const comparable = (o: RecordFindingsOutcome) => ({ ...o, reopened: [...o.reopened].sort(), resolved: [...o.resolved].sort() });

describe('findings upsert through COPY', () => {
  const opened: Partial<Record<Backend, TestDatabase>> = {};
  beforeAll(async () => {
    opened.postgres = await createTestDatabase('postgres');
    opened.pglite = await createTestDatabase('pglite');
  });
  afterAll(async () => {
    await opened.postgres?.destroy();
    await opened.pglite?.destroy();
  });
  const pg = () => opened.postgres!;
  const lite = () => opened.pglite!;

  it('COPYs only on Postgres; PGlite keeps the parameterised statements', () => {
    expect(canCopyIn(pg().db)).toBe(true);
    expect(canCopyIn(lite().db)).toBe(false);
  });

  it('carries tabs, line ends, backslashes, \\N, unicode and long values through COPY unchanged', async () => {
    const long = HOSTILE.join('\t|\n').repeat(4000);
    const values: (string | null)[] = [...HOSTILE, null, long, `${long}\\`];
    const got = await inTransaction(pg().db, async (trx) => {
      await sql`create temp table copy_probe (n integer, value text, flag boolean) on commit drop`.execute(trx);
      const copied = await copyIn(trx, 'COPY pg_temp.copy_probe (n, value, flag) FROM STDIN', values.map((v, n) => copyTextRow([n, v, n % 2 === 0])));
      const { rows } = await sql<{ n: number; value: string | null; flag: boolean }>`select n, value, flag from pg_temp.copy_probe order by n`.execute(trx);
      return { copied, rows };
    });
    expect(got.copied).toBe(values.length);
    // What the server stores for a lone surrogate is what `pg` would send as a parameter: UTF-8's replacement character.
    const stored = values.map((v) => (v === null ? null : Buffer.from(v, 'utf8').toString('utf8')));
    expect(got.rows.map((r) => r.value)).toEqual(stored);
    expect(got.rows.map((r) => r.flag)).toEqual(values.map((_, n) => n % 2 === 0));
    expect(copyTextRow(['a\tb', null, '\\N', 'c\r\nd', true, 7])).toBe('a\\tb\t\\N\t\\\\N\tc\\r\\nd\ttrue\t7\n');
  });

  it('leaves the same rows and outcomes as the parameterised statements over a sequence of runs', async () => {
    const tenants = ['acme', 'tab\tco'];
    const rules = ['TOK-01', 'ACC-01'];
    const all = (tenant: string, from: number, to: number, variant: number) =>
      rules.flatMap((rule) => Array.from({ length: to - from }, (_, k) => finding(tenant, rule, from + k, variant)));
    const withLong = (fs: Finding[]) => fs.map((f, k) => (k === 3 || k === 1003 ? { ...f, evidence: longEvidence(k) } : f));
    // Each run: which tenant, which rules it evaluated, what it found, when, and what it may resolve.
    type Step = Omit<RecordFindingsInput, 'runId'>;
    const steps: Step[] = [];
    for (const tenant of tenants) {
      steps.push(
        // All new, more than one of PGlite's chunks.
        { tenant, rules, findings: withLong(all(tenant, 0, 1300, 0)), at: day(1) },
        // Changed titles, labels, severities and evidence; new ones; the rest resolved.
        { tenant, rules, findings: withLong([...all(tenant, 0, 700, 1), ...all(tenant, 1300, 1400, 1)]), at: day(2) },
        // A token run: some resolved tokens come back, access findings are left alone, tokens not found resolve.
        { tenant, rules: ['TOK-01'], findings: Array.from({ length: 400 }, (_, k) => finding(tenant, 'TOK-01', 600 + k, 2)), at: day(3) },
        // A run that may resolve only a few: the rest of what it no longer finds stays open.
        {
          tenant,
          rules,
          findings: all(tenant, 650, 800, 3),
          at: day(4),
          resolveOnly: all(tenant, 0, 660, 0).filter((_, k) => k % 5 === 0).map((f) => f.fingerprint),
        },
        // Nothing found: everything of its rules resolves.
        { tenant, rules: ['ACC-01'], findings: [], at: day(5) },
        // Everything back at once, reopened or new or persisting.
        { tenant, rules, findings: all(tenant, 0, 1500, 4), at: day(6) },
        // The same instant again: reopened_at is judged by resolved_at, not by the time.
        { tenant, rules: ['TOK-01'], findings: all(tenant, 0, 10, 5).filter((f) => f.rule === 'TOK-01'), at: day(6) },
      );
    }

    const play = async (t: OpenedDatabase) => {
      for (const tenant of tenants) await addTenant(t.db, { name: tenant, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' });
      const runIds: number[] = [];
      const outcomes: ReturnType<typeof comparable>[] = [];
      for (const [n, step] of steps.entries()) {
        const runId = (await createRun(t.db, { kind: 'audit', tenant: step.tenant, scheduledFor: step.at, idempotencyKey: `copy:${n}` })).run.id;
        runIds.push(runId);
        outcomes.push(comparable(await recordFindings(t.db, { ...step, runId })));
      }
      return { outcomes, rows: await tableContents(t.db, runIds) };
    };
    const viaCopy = await play(pg());
    const viaInsert = await play(lite());

    // The sequence exercised every case, so the comparison below compares something.
    const total = (key: keyof RecordFindingsOutcome) => viaCopy.outcomes.reduce((n, o) => n + o[key].length, 0);
    expect(total('created')).toBeGreaterThan(0);
    expect(total('reopened')).toBeGreaterThan(0);
    expect(total('persisting')).toBeGreaterThan(0);
    expect(total('resolved')).toBeGreaterThan(0);
    expect(viaCopy.rows.some((r) => r.reopened_at !== null && r.resolved_at === null)).toBe(true);
    expect(viaCopy.rows.some((r) => r.first_seen.getTime() !== r.last_seen.getTime())).toBe(true);

    expect(viaCopy.outcomes).toEqual(viaInsert.outcomes);
    expect(viaCopy.rows.length).toBe(viaInsert.rows.length);
    expect(viaCopy.rows).toEqual(viaInsert.rows);
  });

  it('refuses what Postgres text cannot hold, on both backends, writing nothing', async () => {
    for (const t of [pg(), lite()]) {
      const tenant = 'nul';
      await addTenant(t.db, { name: tenant, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' });
      const runId = (await createRun(t.db, { kind: 'audit', tenant, scheduledFor: day(1), idempotencyKey: 'nul' })).run.id;
      const good = Array.from({ length: 3000 }, (_, i) => finding(tenant, 'TOK-01', i));
      const bad: Partial<Finding>[] = [
        { title: 'a NUL \u0000 in a title' },
        { evidence: { text: 'a NUL \u0000 in evidence' } },
        { evidence: { text: 'a lone surrogate \ud800 in evidence' } },
      ];
      for (const [k, change] of bad.entries()) {
        // The bad row first: the server refuses it while the rest of the COPY is still on its way.
        const findings = [{ ...good[0]!, ...change }, ...good.slice(1)];
        await expect(recordFindings(t.db, { tenant, runId, rules: ['TOK-01'], findings, at: day(1) }), `${t.backend} ${k}`).rejects.toThrow();
      }
      expect(await t.db.selectFrom('findings').select('fingerprint').where('tenant', '=', tenant).execute()).toEqual([]);
    }
  });

  it('leaves a pooled connection clean after a commit, a failure, and two upserts in one transaction', async () => {
    // One connection, so every statement below meets whatever the upserts left on it.
    const single = await openDatabase({ url: TEST_DATABASE_URL, schema: pg().schema!, poolSize: 1 });
    try {
      const db = bindAuditKey(single.db, TEST_AUDIT_KEY);
      const tenant = 'clean';
      await addTenant(db, { name: tenant, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' });
      const runId = (await createRun(db, { kind: 'audit', tenant, scheduledFor: day(1), idempotencyKey: 'clean' })).run.id;
      const leftOver = async () => (await sql<{ t: string | null }>`select to_regclass('pg_temp.findings_incoming')::text as t`.execute(db)).rows[0]?.t;
      const some = (n: number, variant: number) => Array.from({ length: n }, (_, i) => finding(tenant, 'TOK-01', i, variant));

      const first = await recordFindings(db, { tenant, runId, rules: ['TOK-01'], findings: some(50, 0), at: day(1) });
      expect(first.created).toHaveLength(50);
      expect(await leftOver()).toBeNull();

      const broken = [...some(50, 1)];
      broken[10] = { ...broken[10]!, severity: 'urgent' as Severity };
      await expect(recordFindings(db, { tenant, runId, rules: ['TOK-01'], findings: broken, at: day(2) })).rejects.toThrow(/severity/);
      expect(await leftOver()).toBeNull();

      // Evidence JSON cannot encode, half-way through: rows are already on their way when building the next one throws.
      const unencodable = [...some(3000, 1)];
      unencodable[1500] = { ...unencodable[1500]!, evidence: { big: 10n } };
      await expect(recordFindings(db, { tenant, runId, rules: ['TOK-01'], findings: unencodable, at: day(2) })).rejects.toThrow(/BigInt/);
      expect(await leftOver()).toBeNull();

      // A caller's transaction recording twice (as `warden scan` records inside its own).
      const [a, b] = await inTransaction(db, async (trx) => [
        await recordFindings(trx, { tenant, runId, rules: ['TOK-01'], findings: some(60, 2), at: day(3) }),
        await recordFindings(trx, { tenant, runId, rules: ['TOK-01'], findings: some(70, 3), at: day(4) }),
      ]);
      expect([a.created.length, a.persisting.length, b.created.length, b.persisting.length]).toEqual([10, 50, 10, 60]);
      expect(await leftOver()).toBeNull();
      const rows = await db.selectFrom('findings').select(['title', 'first_seen', 'last_seen']).where('tenant', '=', tenant).orderBy('fingerprint').execute();
      expect(rows).toHaveLength(70);
      expect(rows.every((r) => r.last_seen.getTime() === day(4).getTime() && r.title.endsWith('(3)'))).toBe(true);
    } finally {
      await single.close();
    }
  });

  it('runs two tenants at once, each on its own connection and temporary table', async () => {
    const tenants = ['left', 'right'];
    for (const tenant of tenants) await addTenant(pg().db, { name: tenant, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' });
    const runs = await Promise.all(
      tenants.map(async (tenant) => (await createRun(pg().db, { kind: 'audit', tenant, scheduledFor: day(1), idempotencyKey: `both:${tenant}` })).run.id),
    );
    const findingsOf = (tenant: string) => Array.from({ length: 4000 }, (_, i) => finding(tenant, 'ACC-01', i, tenant.length));
    const outcomes = await Promise.all(
      tenants.map((tenant, k) => recordFindings(pg().db, { tenant, runId: runs[k]!, rules: ['ACC-01'], findings: findingsOf(tenant), at: day(1) })),
    );
    for (const [k, tenant] of tenants.entries()) {
      expect(outcomes[k]!.created).toEqual(findingsOf(tenant).map((f) => f.fingerprint));
      const rows = await pg().db.selectFrom('findings').select(['fingerprint', 'title', 'last_run_id']).where('tenant', '=', tenant).execute();
      expect(rows).toHaveLength(4000);
      expect(rows.every((r) => r.last_run_id === runs[k] && r.title.endsWith(`(${tenant.length})`))).toBe(true);
    }
  });
});
