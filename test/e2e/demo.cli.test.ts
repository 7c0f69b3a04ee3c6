// `warden demo`: on embedded defaults (PGlite, in-process runner, outbox), and
// through the real fleet (Postgres schema, Redis prefix); run twice, the second
// run reports the same findings as persisting. The email is parsed and read.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoReport } from '../../src/demo/run-demo.js';
import { familyOf, RULE_IDS } from '../../src/rules/engine.js';
import { runCli } from '../support/cli.js';
import { TEST_DATABASE_URL, adminQuery, uniqueSchema } from '../support/db.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warden-demo-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function demo(env: NodeJS.ProcessEnv): Promise<DemoReport> {
  const run = await runCli(['demo', '--format', 'json'], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as DemoReport;
}

/** The deterministic demo tenant's open findings (src/omneo/simulator/demo-tenant.ts), by family and severity. */
const DEMO_OPEN = {
  access: { critical: 3, high: 2, medium: 2, low: 0 },
  tokens: { critical: 1, high: 5, medium: 2, low: 0 },
  network: { critical: 1, high: 4, medium: 2, low: 1 },
  secrets: { critical: 0, high: 2, medium: 0, low: 0 },
  privacy: { critical: 2, high: 1, medium: 1, low: 0 },
  data: { critical: 1, high: 2, medium: 4, low: 1 },
};
/** Findings of each audit run, in the order the demo runs them. */
const DEMO_FINDINGS = [7, 8, 8, 2, 4, 8];
/** Open findings of each rule of the data family: every one of them fires. */
const DEMO_DATA_RULES = { 'DAT-01': 1, 'DAT-02': 2, 'DAT-03': 2, 'CARE-01': 2, 'CARE-02': 1 };

function expectEveryFamily(report: DemoReport): void {
  expect(report.open).toEqual(DEMO_OPEN);
  expect(report.runs.filter((r) => r.kind !== 'digest').map((r) => r.counts?.findings)).toEqual(DEMO_FINDINGS);
  // The top of the list, most severe first, labels and titles only.
  expect(report.top.map((f) => `${f.severity} ${f.rule} ${f.subject_label}`)).toEqual([
    'critical ACC-01 Bob Stone',
    'critical ACC-01 Gus Hill',
    'critical ACC-04 Fay Cole',
    'critical DAT-01 webhook 2 (transaction.created)',
    'critical NET-01 0.0.0.0/0',
  ]);
  // Every rule of every family that the demo tenant is built to break, the data family's included.
  expect(report.rules).toMatchObject(DEMO_DATA_RULES);
  expect(Object.keys(report.rules)).toEqual(expect.arrayContaining(Object.values(RULE_IDS).flat()));
}

describe('warden demo on embedded defaults', () => {
  const dir = tempDir();
  const env = { WARDEN_DATA_DIR: join(dir, 'data'), WARDEN_OUTBOX: join(dir, 'outbox') };

  it('audits every family, writes the digest, and reports persisting findings the second time', async () => {
    const first = await demo(env);
    expect(first).toMatchObject({ ledger: 'pglite', queue: 'in-process', smtp: false });
    expect(first.runs.map((r) => [r.kind, r.status])).toEqual([
      ['stale-accounts', 'succeeded'],
      ['token-hygiene', 'succeeded'],
      ['allowlist-audit', 'succeeded'],
      ['secret-rotation', 'succeeded'],
      ['erasure-sweep', 'succeeded'],
      ['data-handling', 'succeeded'],
      ['digest', 'succeeded'],
    ]);
    expectEveryFamily(first);
    const audits = first.runs.filter((r) => r.kind !== 'digest');
    expect(audits.map((r) => [r.counts?.created, r.counts?.persisting])).toEqual(DEMO_FINDINGS.map((n) => [n, 0]));
    // Three digests (one per audience), the approval emails the access and tokens audits sent the demo's admin,
    // and the engineers' emails about the demo's erasure requests: its overdue ones, and the one that failed before Warden.
    const approvalEmails = audits.reduce((n, r) => n + (r.counts?.approval_emails ?? 0), 0);
    expect(approvalEmails).toBeGreaterThan(0);
    const deadlineEmails = audits.reduce((n, r) => n + (r.counts?.deadline_emails ?? 0) + (r.counts?.late_emails ?? 0), 0);
    expect(deadlineEmails).toBe(2);
    expect(first.emails).toHaveLength(3 + approvalEmails + deadlineEmails);

    // The compliance officer's email: every family in the CSV, the headline in the body.
    const messages = await Promise.all(first.emails.map(async (f) => simpleParser(readFileSync(f))));
    const compliance = messages.find((m) => (m.to && !Array.isArray(m.to) ? m.to.text : '').includes('compliance@demo.example'));
    expect(compliance).toBeDefined();
    expect(compliance!.subject).toMatch(/^\[Warden\] demo: \d+ open/);
    expect(compliance!.text).toBeTruthy();
    expect(compliance!.html).toBeTruthy();
    const csv = compliance!.attachments.find((a) => a.filename?.endsWith('.csv'));
    const rows: { rule: string }[] = parse(csv!.content, { columns: true });
    expect(new Set(rows.map((r) => familyOf(r.rule)))).toEqual(new Set(['access', 'tokens', 'network', 'secrets', 'privacy', 'data']));
    const raw = first.emails.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(raw).not.toContain('sim-token');
    // A webhook is named by its host, never its whole url (webhook 2's carries a key).
    expect(raw).toContain('reports.demo.example');
    expect(raw).not.toContain('demo-report-key');

    const second = await demo(env);
    const again = second.runs.filter((r) => r.kind !== 'digest');
    expect(again.map((r) => r.counts?.created)).toEqual(audits.map(() => 0));
    expect(again.map((r) => r.counts?.persisting)).toEqual(audits.map((r) => r.counts?.findings));
    expect(second.open).toEqual(first.open);
    // Three more digests; no approval is asked twice, and the engineers are not told of the same deadlines again.
    expect(again.map((r) => r.counts?.approval_emails ?? 0)).toEqual(audits.map(() => 0));
    expect(again.map((r) => (r.counts?.deadline_emails ?? 0) + (r.counts?.late_emails ?? 0))).toEqual(audits.map(() => 0));
    expect(readdirSync(join(dir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(6 + approvalEmails + deadlineEmails);
    // Two whole demos on PGlite (six audit jobs and a digest each): some 28 s on a busy 2-core machine.
  }, 90_000);
});

describe('warden demo through the real fleet', () => {
  const dir = tempDir();
  const schema = uniqueSchema('warden_demo');
  const prefix = `warden-demo-${schema}`;
  afterAll(async () => {
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const redis = new Redis(REDIS_URL);
    // The demo adds `-demo` to the prefix it is given.
    const keys = await redis.keys(`${prefix}-demo:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('runs the same jobs on Postgres and Redis', async () => {
    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      WARDEN_DB_SCHEMA: schema,
      REDIS_URL,
      WARDEN_QUEUE_PREFIX: prefix,
      WARDEN_DATA_DIR: join(dir, 'data'),
      WARDEN_OUTBOX: join(dir, 'outbox'),
    };
    const report = await demo(env);
    expect(report).toMatchObject({ ledger: 'postgres', queue: 'redis' });
    expect(report.runs.every((r) => r.status === 'succeeded')).toBe(true);
    expectEveryFamily(report);
    expect(report.emails).toHaveLength(3 + report.runs.reduce((n, r) => n + (r.counts?.approval_emails ?? 0) + (r.counts?.deadline_emails ?? 0) + (r.counts?.late_emails ?? 0), 0));
    // The second time as a person reads it: the same findings persisting, and each rule firing on its family's line.
    const second = await runCli(['demo'], env);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    const persisting = [...second.stdout.matchAll(/^ {2}(\S+)\s+succeeded\s+(\d+) findings: (\d+) new, (\d+) persisting/gm)].map((m) => [m[1], Number(m[2]), Number(m[3]), Number(m[4])]);
    expect(persisting).toEqual(report.runs.filter((r) => r.kind !== 'digest').map((r, i) => [r.kind, DEMO_FINDINGS[i], 0, DEMO_FINDINGS[i]]));
    expect(second.stdout).toContain('\n  data            CARE-01 2, CARE-02 1, DAT-01 1, DAT-02 2, DAT-03 2\n');
    expect(second.stdout).toContain('\n  [CRITICAL] DAT-01 webhook 2 (transaction.created): Webhook 2 (transaction.created) sends customer data unencrypted (http) to reports.demo.example\n');
    expect(second.stdout).not.toContain('demo-report-key');
  });
});
