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
import { familyOf } from '../../src/rules/engine.js';
import { runCli } from '../support/cli.js';
import { TEST_DATABASE_URL, adminQuery, uniqueSchema } from '../support/db.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
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

function expectEveryFamily(report: DemoReport): void {
  for (const [family, counts] of Object.entries(report.open)) {
    expect(Object.values(counts).reduce((a, b) => a + b, 0), family).toBeGreaterThan(0);
  }
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
      ['secret-age', 'succeeded'],
      ['erasure-sweep', 'succeeded'],
      ['digest', 'succeeded'],
    ]);
    expectEveryFamily(first);
    const audits = first.runs.filter((r) => r.kind !== 'digest');
    expect(audits.every((r) => (r.counts?.created ?? 0) > 0 && r.counts?.persisting === 0)).toBe(true);
    expect(first.emails).toHaveLength(3);

    // The compliance officer's email: every family in the CSV, the headline in the body.
    const messages = await Promise.all(first.emails.map(async (f) => simpleParser(readFileSync(f))));
    const compliance = messages.find((m) => (m.to && !Array.isArray(m.to) ? m.to.text : '').includes('compliance@demo.example'));
    expect(compliance).toBeDefined();
    expect(compliance!.subject).toMatch(/^\[Warden\] demo: \d+ open/);
    expect(compliance!.text).toBeTruthy();
    expect(compliance!.html).toBeTruthy();
    const csv = compliance!.attachments.find((a) => a.filename?.endsWith('.csv'));
    const rows: { rule: string }[] = parse(csv!.content, { columns: true });
    expect(new Set(rows.map((r) => familyOf(r.rule)))).toEqual(new Set(['access', 'tokens', 'network', 'secrets', 'privacy']));
    const raw = first.emails.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(raw).not.toContain('sim-token');

    const second = await demo(env);
    const again = second.runs.filter((r) => r.kind !== 'digest');
    expect(again.map((r) => r.counts?.created)).toEqual(audits.map(() => 0));
    expect(again.map((r) => r.counts?.persisting)).toEqual(audits.map((r) => r.counts?.findings));
    expect(second.open).toEqual(first.open);
    expect(readdirSync(join(dir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(6);
  });
});

describe('warden demo through the real fleet', () => {
  const dir = tempDir();
  const schema = uniqueSchema('warden_demo');
  const prefix = `warden-demo-${schema}`;
  afterAll(async () => {
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
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
    expect(report.emails).toHaveLength(3);
    const second = await demo(env);
    expect(second.runs.filter((r) => r.kind !== 'digest').every((r) => r.counts?.created === 0)).toBe(true);
  });
});
