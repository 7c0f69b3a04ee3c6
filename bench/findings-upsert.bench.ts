/**
 * Upserting 100 000 findings through `recordFindings` vs a bare multi-row
 * `INSERT … ON CONFLICT` of the same rows with `pg`, same run, same real
 * Postgres, in a throwaway schema. Target (issue 3): within 2× of bare.
 *
 *   npm run bench:findings      (DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
 *   FINDINGS=20000 npm run bench:findings
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../src/db/database.js';
import { bindAuditKey } from '../src/db/executor.js';
import { recordFindings } from '../src/db/findings.repository.js';
import { createRun } from '../src/db/job-runs.repository.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { addTenant } from '../src/db/tenants.repository.js';
import { fingerprint } from '../src/rules/engine.js';
import type { Finding } from '../src/rules/types.js';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const COUNT = Number(process.env.FINDINGS ?? 100_000);
const TENANT = 'bench';
/** Bare rows per statement: as many as Postgres' 65 535 parameters allow at 15 a row. */
const BARE_CHUNK = Math.floor(65_535 / 15);

const COLUMNS = [
  'tenant', 'fingerprint', 'rule', 'name', 'severity', 'subject_type', 'subject_id', 'subject_label',
  'title', 'action', 'requires_approval', 'evidence', 'first_seen', 'last_seen', 'last_run_id',
] as const;

function makeFindings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `tok_${i.toString(36)}`;
    return {
      rule: 'TOK-01',
      name: 'token-age',
      severity: (['critical', 'high', 'medium', 'low'] as const)[i % 4]!,
      subject: { type: 'token', id, label: `integration-${i}` },
      title: `API token 'integration-${i}' is ${100 + (i % 300)} days old (limit 90)`,
      evidence: { created_at: '2026-01-01T00:00:00.000Z', age_days: 100 + (i % 300), scopes: ['read-profiles'] },
      action: 'rotate_token',
      requires_approval: false,
      fingerprint: fingerprint('TOK-01', TENANT, 'token', id),
    };
  });
}

async function bare(client: pg.PoolClient, findings: Finding[], runId: number, at: Date): Promise<void> {
  await client.query('BEGIN');
  for (let start = 0; start < findings.length; start += BARE_CHUNK) {
    const chunk = findings.slice(start, start + BARE_CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((f) => {
      const base = params.length;
      params.push(TENANT, f.fingerprint, f.rule, f.name, f.severity, f.subject.type, f.subject.id, f.subject.label,
        f.title, f.action, f.requires_approval, JSON.stringify(f.evidence), at, at, runId);
      return `(${COLUMNS.map((_, j) => `$${base + j + 1}`).join(',')})`;
    });
    await client.query(
      `INSERT INTO findings (${COLUMNS.join(',')}) VALUES ${tuples.join(',')}
       ON CONFLICT (tenant, fingerprint) DO UPDATE SET
         severity = excluded.severity, subject_label = excluded.subject_label, title = excluded.title,
         evidence = excluded.evidence, last_seen = excluded.last_seen, last_run_id = excluded.last_run_id,
         resolved_at = NULL`,
      params,
    );
  }
  await client.query('COMMIT');
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

const schema = `bench_${randomBytes(5).toString('hex')}`;
const admin = new pg.Pool({ connectionString: URL, max: 1 });
await admin.query(`CREATE SCHEMA ${schema}`);
const ledger = await openDatabase({ url: URL, schema });
// A throwaway key for the audit entries the set-up writes (the app derives the real one from WARDEN_SECRET_KEY).
bindAuditKey(ledger.db, randomBytes(32));
const barePool = new pg.Pool({ connectionString: URL, max: 1, options: `-c search_path=${schema}` });
try {
  await migrateToLatest(ledger.db, { schema });
  await addTenant(ledger.db, { name: TENANT, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'BENCH_TOKEN' });
  const runs = await Promise.all(
    [1, 2, 3, 4].map(async (n) => (await createRun(ledger.db, { kind: 'bench', tenant: TENANT, scheduledFor: new Date(), idempotencyKey: `bench:${n}` })).run.id),
  );
  const findings = makeFindings(COUNT);
  const client = await barePool.connect();
  const truncate = () => client.query('TRUNCATE findings');
  const results: Record<string, { bareMs: number; repoMs: number }> = {};
  try {
    // Warm both paths (connections, plans, JIT) on a small batch first.
    await bare(client, findings.slice(0, 2000), runs[0]!, new Date());
    await recordFindings(ledger.db, { tenant: TENANT, runId: runs[0]!, rules: ['TOK-01'], findings: findings.slice(0, 2000), at: new Date() });

    // New findings: every row inserted.
    await truncate();
    const bareInsert = await time(() => bare(client, findings, runs[1]!, new Date()));
    await truncate();
    let outcome: Awaited<ReturnType<typeof recordFindings>> | undefined;
    const repoInsert = await time(async () => {
      outcome = await recordFindings(ledger.db, { tenant: TENANT, runId: runs[1]!, rules: ['TOK-01'], findings, at: new Date() });
    });
    if (outcome?.created.length !== COUNT) throw new Error(`expected ${COUNT} created, got ${outcome?.created.length}`);
    results['insert (all new)'] = { bareMs: bareInsert, repoMs: repoInsert };

    // A second run: every row already there (persisting), so every row is an update.
    const bareUpdate = await time(() => bare(client, findings, runs[2]!, new Date()));
    const repoUpdate = await time(async () => {
      outcome = await recordFindings(ledger.db, { tenant: TENANT, runId: runs[3]!, rules: ['TOK-01'], findings, at: new Date() });
    });
    if (outcome?.persisting.length !== COUNT) throw new Error(`expected ${COUNT} persisting, got ${outcome?.persisting.length}`);
    results['upsert (all existing)'] = { bareMs: bareUpdate, repoMs: repoUpdate };
  } finally {
    client.release();
  }

  console.log(`findings upsert: ${COUNT} findings, real Postgres (${schema}, dropped afterwards)`);
  for (const [name, r] of Object.entries(results)) {
    const ratio = r.repoMs / r.bareMs;
    console.log(
      `  ${name.padEnd(22)} bare pg ${r.bareMs.toFixed(0).padStart(6)} ms   recordFindings ${r.repoMs.toFixed(0).padStart(6)} ms   ratio ${ratio.toFixed(2)}×  ${ratio <= 2 ? 'within 2×' : 'OVER 2×'}`,
    );
  }
} finally {
  await ledger.close();
  await barePool.end();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
