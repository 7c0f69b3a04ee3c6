// `warden findings suppress|unsuppress` through the real binary (node
// bin/warden.js) on the real Postgres: the same action as the web app, its
// audit-log entry under the OS login, and every bad input refused with its
// exit status and nothing written.
import { userInfo } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFindings, recordFindings } from '../../src/db/findings.repository.js';
import { createRun } from '../../src/db/job-runs.repository.js';
import { addTenant } from '../../src/db/tenants.repository.js';
import { fingerprint } from '../../src/rules/engine.js';
import type { Finding } from '../../src/rules/types.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, type TestDatabase } from '../support/db.js';
import { compileCli, removeCli, ROOT, warden } from '../support/warden-bin.js';

const FP = fingerprint('TOK-01', 'acme', 'token', 'tok_1');
const finding: Finding = {
  rule: 'TOK-01',
  name: 'token-age',
  severity: 'high',
  subject: { type: 'token', id: 'tok_1', label: 'pos-sync' },
  title: "Token 'pos-sync' is 400 days old",
  evidence: { age_days: 400 },
  action: 'rotate_token',
  requires_approval: false,
  fingerprint: FP,
};

let t: TestDatabase;
let env: Record<string, string>;
const run = (args: string[]) => warden(['findings', ...args], env, { cwd: ROOT });

beforeAll(async () => {
  compileCli();
  t = await createTestDatabase('postgres');
  env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: t.schema!, WARDEN_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' };
  await addTenant(t.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_OMNEO_TOKEN' });
  const { run: r } = await createRun(t.db, { kind: 'token-hygiene', tenant: 'acme', scheduledFor: new Date(), idempotencyKey: 'token-hygiene:1' });
  await recordFindings(t.db, { tenant: 'acme', runId: r.id, rules: ['TOK-01'], findings: [finding], at: new Date() });
}, 120_000);
afterAll(async () => {
  await t?.destroy();
  removeCli();
});

async function ledger(): Promise<{ suppressions: unknown[]; audit: number }> {
  const suppressions = await t.db.selectFrom('suppressions').selectAll().execute();
  const audit = await t.db.selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return { suppressions, audit: audit.n };
}

const suppressedNow = async () => (await listFindings(t.db, { tenant: 'acme' })).every((f) => f.suppressed);

describe('warden findings (the real binary)', () => {
  it('suppresses a finding until a date, recorded under the OS login, and lifts it', async () => {
    const until = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    const done = await run(['suppress', 'acme', FP, '--reason', 'pos-sync is retired in January', '--until', until]);
    expect(done).toMatchObject({ code: 0, stderr: '', stdout: `suppressed acme/${FP} until ${until}T00:00:00.000Z\n` });
    expect(await suppressedNow()).toBe(true);
    const entry = await t.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({
      actor: userInfo().username,
      action: 'finding.suppressed',
      subject: `finding:acme/${FP}`,
      details: { reason: 'pos-sync is retired in January', expires_at: `${until}T00:00:00.000Z` },
    });

    expect(await run(['unsuppress', 'acme', FP])).toMatchObject({ code: 0, stderr: '', stdout: `lifted the suppression of acme/${FP}\n` });
    expect(await suppressedNow()).toBe(false);
    expect(await t.db.selectFrom('audit_log').select(['actor', 'action']).orderBy('id', 'desc').executeTakeFirstOrThrow()).toEqual({ actor: userInfo().username, action: 'finding.unsuppressed' });
    // The chain the binary extended still verifies.
    expect(await warden(['audit-log', 'verify'], env, { cwd: ROOT })).toMatchObject({ code: 0 });
  });

  const soon = () => new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const refusals: [string, () => string[], number, RegExp][] = [
    ['a date in the past', () => ['suppress', 'acme', FP, '--reason', 'r', '--until', '2020-01-01'], 2, /^warden: --until: must be in the future/],
    ['a date over a year ahead', () => ['suppress', 'acme', FP, '--reason', 'r', '--until', new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10)], 2, /^warden: --until: at most 1 year ahead/],
    ['a date that is not one', () => ['suppress', 'acme', FP, '--reason', 'r', '--until', 'soon'], 2, /^warden: --until: not a date/],
    ['an empty reason', () => ['suppress', 'acme', FP, '--reason', ' ', '--until', soon()], 2, /^warden: --reason: must not be empty/],
    ['a reason over 500 characters', () => ['suppress', 'acme', FP, '--reason', 'x'.repeat(501), '--until', soon()], 2, /^warden: --reason: at most 500 characters/],
    ['no --until', () => ['suppress', 'acme', FP, '--reason', 'r'], 2, /^warden: required option '--until <date>' not specified/],
    ['an unknown fingerprint', () => ['suppress', 'acme', '0'.repeat(32), '--reason', 'r', '--until', soon()], 4, /^warden: finding: no finding "acme\/0{32}"/],
    ['an unknown tenant', () => ['suppress', 'nope', FP, '--reason', 'r', '--until', soon()], 2, /^warden: tenant: no tenant named "nope"/],
    ['unsuppressing a finding with no suppression', () => ['unsuppress', 'acme', FP], 4, /^warden: suppression: no suppression "acme\/[0-9a-f]{32}"/],
  ];

  it.each(refusals)('refuses %s, writing nothing', async (_name, args, code, message) => {
    const before = await ledger();
    const result = await run(args());
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(await ledger()).toEqual(before);
  });
});
