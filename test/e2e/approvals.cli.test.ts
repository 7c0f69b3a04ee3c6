// `warden approvals …` through the real binary (node bin/warden.js) on the real Postgres, against
// the simulator over HTTP: the demo tenant audited by `warden run` opens its approvals, then the
// JSON contract of `list` and `show`, every refusal (exit 2 naming the flag, 4 unknown id, 5 a
// refused step) with nothing changed, an approval carried out in process down to the user gone
// from the simulator, the break-glass list and the daily cap set by `tenants set`, and an approval
// queued on the fleet when REDIS_URL is set. The tests run in order on one ledger.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../jobs/index.js';
import { loadConfig } from '../../src/config.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from '../../src/demo/seed-demo.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import type { QueueTransport } from '../../src/queue/connection.js';
import { JobRegistry } from '../../src/queue/registry.js';
import { secretKey } from '../../src/secrets/secret-box.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, type TestDatabase } from '../support/db.js';
import { cleanQueues, testTransport } from '../support/queue.js';
import { compileCli, nonJsonLines, removeCli, warden } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-approvals-'));
let t: TestDatabase;
let sim: Simulator;
let env: Record<string, string>;
let transport: QueueTransport | undefined;
const run = (args: string[], more: Record<string, string> = {}) => warden(args, { ...env, ...more }, { cwd: dir, timeoutMs: 120_000 });

/** The approvals the demo's audits open, by what they are about (ids in the order the audits open them). */
const BOB = 1; // ACC-01, Bob Stone (user 2), departed admin with a live token
const GUS = 2; // ACC-01, Gus Hill (user 9), departed admin
const CARA = 3; // ACC-03, Cara Diaz (user 3), inactive
const ERP = 4; // TOK-07, token legacy-erp
const BOB_TOKEN = 5; // TOK-02, token bob-export

const ADMIN = 'admins@demo.example';
const SECOND_ADMIN = 'it2@demo.example';

beforeAll(async () => {
  compileCli();
  t = await createTestDatabase('postgres');
  sim = await startSimulator({ port: 0 });
  env = {
    DATABASE_URL: TEST_DATABASE_URL,
    WARDEN_DB_SCHEMA: t.schema!,
    WARDEN_SECRET_KEY: TEST_SECRET_KEY,
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_OUTBOX: join(dir, 'outbox'),
    LOG_LEVEL: 'warn',
    [DEMO_TOKEN_ENV]: sim.token,
    [`${DEMO_TOKEN_ENV}_SCIM`]: sim.token,
  };
  // The demo tenant and its people (an admin, a compliance officer, an engineer), then its two audits that open approvals.
  await seedDemoTenant(t.db, { simulator: sim, secretKey: secretKey(loadConfig(env), join(dir, 'data')) });
  for (const job of ['stale-accounts', 'token-hygiene']) {
    const audit = await run(['run', job, '--tenant', 'demo']);
    if (audit.code !== 0) throw new Error(`warden run ${job}: ${audit.stderr}`);
  }
}, 180_000);

afterAll(async () => {
  if (transport !== undefined) await cleanQueues(transport, new JobRegistry({ definitions: jobs }));
  await t?.destroy();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

interface Subject {
  type: string;
  id: string;
  label: string;
}
interface View {
  id: number;
  tenant: string;
  kind: string;
  status: string;
  rule: string;
  subject: Subject;
  [key: string]: unknown;
}
interface Detail extends View {
  finding: { title: string; severity: string; evidence: Record<string, unknown> } | null;
  outcome: Record<string, unknown>;
  trail: { at: string; actor: string; event: string; detail: Record<string, unknown> }[];
}

/** The keys of ApprovalView (src/app/approvals.ts): the contract scripts rely on. */
const VIEW_KEYS = [
  'id', 'tenant', 'kind', 'status', 'rule', 'subject', 'fingerprint', 'requested_at', 'expires_at', 'decided_by', 'decided_at',
  'comment', 'first_approved_by', 'executed_at', 'verified_at', 'ended_at', 'impact', 'impact_summary', 'requested_by', 'review',
].sort();

const listJson = async (...args: string[]) => {
  const r = await run(['approvals', 'list', '--format', 'json', ...args]);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(r.stdout) as View[];
};
const statusOf = async (id: number) => (await t.db.selectFrom('approvals').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

/** Everything a decision could change: approvals, their trail, the audit log, runs. */
async function ledger() {
  const count = async (table: 'approval_events' | 'audit_log' | 'job_runs') =>
    (await t.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
  return {
    approvals: await t.db.selectFrom('approvals').selectAll().orderBy('id').execute(),
    events: await count('approval_events'),
    audit: await count('audit_log'),
    runs: await count('job_runs'),
  };
}

/** The simulator's answer for a user: 200 while the account exists, 404 once removed. */
const userStatus = async (id: string) => (await fetch(`${sim.url}/users/${id}`, { headers: { authorization: `Bearer ${sim.token}` } })).status;

describe('warden approvals list', () => {
  it('prints an array of approvals as JSON, each with the contract’s keys, and only JSON on stdout (logs on stderr)', async () => {
    const r = await run(['approvals', 'list', '--format', 'json'], { LOG_LEVEL: 'debug' });
    expect(r.code).toBe(0);
    expect(nonJsonLines(r.stderr)).toEqual([]);
    const rows = JSON.parse(r.stdout) as View[];
    expect(Array.isArray(rows)).toBe(true);
    expect(rows.map((a) => [a.id, a.kind, a.rule, a.subject.label])).toEqual([
      [BOB, 'remove_user', 'ACC-01', 'Bob Stone'],
      [GUS, 'remove_user', 'ACC-01', 'Gus Hill'],
      [CARA, 'remove_user', 'ACC-03', 'Cara Diaz'],
      [ERP, 'revoke_token', 'TOK-07', 'legacy-erp'],
      [BOB_TOKEN, 'revoke_token', 'TOK-02', 'bob-export'],
    ]);
    for (const a of rows) {
      expect(Object.keys(a).sort()).toEqual(VIEW_KEYS);
      expect(typeof a.id).toBe('number');
      expect(a.tenant).toBe('demo');
      expect(a.status).toBe('pending');
      expect(Object.keys(a.subject).sort()).toEqual(['id', 'label', 'type']);
      expect(a.subject.type).toBe(a.kind === 'remove_user' ? 'user' : 'token');
      expect(typeof a.subject.id).toBe('string');
      expect(new Date(a.requested_at as string).toISOString()).toBe(a.requested_at);
      // An audit asked for these: no reviewer, no review item.
      expect([a.requested_by, a.review]).toEqual([null, null]);
    }
    expect(rows[0]!.subject.id).toBe('2');
    expect(rows[0]!.impact_summary).toContain('It holds the admin role; 3 other admin(s) remain.');
  });

  it('filters by tenant, kind and state', async () => {
    expect((await listJson('--tenant', 'demo')).map((a) => a.id)).toEqual([BOB, GUS, CARA, ERP, BOB_TOKEN]);
    expect((await listJson('--kind', 'revoke_token')).map((a) => a.id)).toEqual([ERP, BOB_TOKEN]);
    expect((await listJson('--state', 'pending', '--kind', 'remove_user')).map((a) => a.id)).toEqual([BOB, GUS, CARA]);
    expect(await listJson('--state', 'verified')).toEqual([]);
  });

  it('prints a table, one approval a line', async () => {
    const r = await run(['approvals', 'list', '--kind', 'revoke_token']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [head, erp, bob, end] = r.stdout.split('\n');
    expect(head).toBe('ID\tTENANT\tKIND\tSTATUS\tRULE\tSUBJECT\tREQUESTED\tEXPIRES');
    expect(erp).toMatch(/^4\tdemo\trevoke_token\tpending\tTOK-07\ttoken legacy-erp\t\d{4}-\d\d-\d\d \d\d:\d\d\t\d{4}-\d\d-\d\d$/);
    expect(bob).toMatch(/^5\tdemo\trevoke_token\tpending\tTOK-02\ttoken bob-export\t/);
    expect(end).toBe('');
  });

  it.each([
    [['--state', 'done'], /^warden: --state: must be one of pending, approved, rejected, expired, withdrawn, executed, verified, failed, refused\n$/],
    [['--kind', 'delete_everything'], /^warden: --kind: must be one of remove_user, revoke_token, disable_webhook, change_role\n$/],
    [['--tenant', 'nope'], /^warden: --tenant: no tenant named "nope"\n$/],
    [['--page', '0'], /^warden: --page: must be a whole number from 1 to 100000\n$/],
    [['--format', 'xml'], /^warden: option '--format <format>' argument 'xml' is invalid\. Allowed choices are table, json\.\n$/],
  ])('refuses %j with exit 2, naming the flag', async (flags, message) => {
    const r = await run(['approvals', 'list', ...flags]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(message);
  });
});

describe('warden approvals show', () => {
  it('prints one approval with its trail as JSON: the finding, the impact, the events', async () => {
    const r = await run(['approvals', 'show', String(BOB), '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const d = JSON.parse(r.stdout) as Detail;
    expect(Object.keys(d).sort()).toEqual([...VIEW_KEYS, 'finding', 'outcome', 'trail'].sort());
    expect(d).toMatchObject({ id: BOB, tenant: 'demo', kind: 'remove_user', status: 'pending', rule: 'ACC-01', subject: { type: 'user', id: '2', label: 'Bob Stone' } });
    expect(d.finding).toMatchObject({ severity: 'critical', title: "Account 'Bob Stone' belongs to someone who has left" });
    expect(d.impact).toMatchObject({ kind: 'remove_user', user_id: '2', tokens_deleted: [{ id: 'tok_bob', name: 'bob-export' }] });
    expect(d.outcome).toEqual({});
    expect(d.trail.map((e) => e.event)).toEqual(['requested', 'emailed']);
  });

  it('prints readable sections as a table', async () => {
    const r = await run(['approvals', 'show', String(BOB)]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Approval 1: Remove account Bob Stone \(ACC-01\), tenant demo\n/);
    for (const heading of ['Status', 'Finding', 'Impact when requested', 'Remediation (re-check, the platform’s answer, verification)', 'Trail']) {
      expect(r.stdout).toContain(`\n${heading}\n`);
    }
    expect(r.stdout).toMatch(/^ {2}status +pending$/m);
    expect(r.stdout).toContain('  • bob-export (scopes read-profiles)');
  });

  it('answers exit 4 for an unknown id and exit 2 for one that is not an id', async () => {
    expect(await run(['approvals', 'show', '99999'])).toMatchObject({ code: 4, stdout: '', stderr: 'warden: approval: no approval 99999\n' });
    expect(await run(['approvals', 'show', 'abc'])).toMatchObject({ code: 2, stdout: '', stderr: 'warden: ID: "abc" is not an approval id\n' });
  });
});

describe('warden approvals approve | reject', () => {
  beforeAll(async () => {
    // Gus Hill is an admin of Warden too: he may decide others' approvals, never his own account's.
    for (const [email, role] of [['gus.hill@demo.example', 'admin'], [SECOND_ADMIN, 'admin']]) {
      const added = await run(['people', 'add', email!, '--role', role!]);
      if (added.code !== 0) throw new Error(added.stderr);
    }
  }, 60_000);

  it.each([
    ['no --as', 2, ['approve', '1'], /^warden: required option '--as <email>' not specified\n$/],
    ['an --as that is not an address', 2, ['approve', '1', '--as', 'admins'], /^warden: --as: is not an email address\n$/],
    ['an --as nobody has', 2, ['approve', '1', '--as', 'nobody@demo.example'], /^warden: --as: no person nobody@demo\.example in Warden/],
    ['an id that is not one', 2, ['approve', '1x', '--as', ADMIN], /^warden: ID: "1x" is not an approval id\n$/],
    ['a reject without --comment', 2, ['reject', '4', '--as', ADMIN], /^warden: required option '--comment <text>' not specified\n$/],
    ['a reject with a blank --comment', 2, ['reject', '4', '--as', ADMIN, '--comment', '  '], /^warden: --comment: is required to reject: say why\n$/],
    ['a comment over 2000 characters', 2, ['approve', '1', '--as', ADMIN, '--comment', 'x'.repeat(2001)], /^warden: --comment: at most 2000 characters\n$/],
    ['an unknown id', 4, ['approve', '99999', '--as', ADMIN], /^warden: approval: no approval 99999\n$/],
    ['a batch with one unknown id', 4, ['approve', '1', '3', '99999', '--as', ADMIN], /^warden: approval: no approval 99999\n$/],
    ['someone who is not an admin', 5, ['approve', '1', '--as', 'compliance@demo.example'], /^warden: approval 1: only an admin of tenant demo may decide it\n$/],
    ['a self-approval', 5, ['approve', String(GUS), '--as', 'gus.hill@demo.example'], /^warden: approval 2: it is about your own account; another admin must decide it\n$/],
    ['a batch with someone’s own account in it', 5, ['approve', '1', String(GUS), '--as', 'gus.hill@demo.example'], /own account/],
  ])('refuses %s (exit %i) and changes nothing', async (_what, code, args, message) => {
    const before = await ledger();
    const r = await run(['approvals', ...args]);
    expect(r).toMatchObject({ code, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(await ledger()).toEqual(before);
  });

  it('approves as an admin: in process the remediation runs there, the user is gone from the simulator and the approval verified', async () => {
    expect(await userStatus('2')).toBe(200);
    const r = await run(['approvals', 'approve', String(BOB), '--as', 'Admins@Demo.example', '--comment', 'left on 1 November']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^approval 1 approved by admins@demo\.example; remediation run [0-9a-f-]{36}: verified\n$/);
    expect(await userStatus('2')).toBe(404);

    const d = JSON.parse((await run(['approvals', 'show', String(BOB), '--format', 'json'])).stdout) as Detail;
    expect(d).toMatchObject({ status: 'verified', decided_by: ADMIN, comment: 'left on 1 November' });
    expect(d.executed_at).not.toBeNull();
    expect(d.verified_at).not.toBeNull();
    // `acting` names the run that claimed the act (one run per approval acts).
    expect(Object.keys(d.outcome).sort()).toEqual(['act', 'acting', 'recheck', 'verification']);
    expect(d.outcome.recheck).toMatchObject({ verdict: 'holds' });
    expect(d.trail.map((e) => e.event)).toEqual(['requested', 'emailed', 'approved', 'recheck', 'executed', 'verified']);
    expect(d.trail[2]).toMatchObject({ actor: ADMIN, detail: { via: 'cli', comment: 'left on 1 November' } });
    const entry = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'approval.approved').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor: ADMIN, subject: `approval:${BOB}`, details: { tenant: 'demo', kind: 'remove_user', via: 'cli' } });
  });

  it('refuses to approve twice, and to approve what was rejected (exit 5), changing nothing', async () => {
    let before = await ledger();
    expect(await run(['approvals', 'approve', String(BOB), '--as', SECOND_ADMIN])).toMatchObject({
      code: 5,
      stdout: '',
      stderr: 'warden: approval 1 is verified: only a pending approval can be approved\n',
    });
    expect(await ledger()).toEqual(before);

    const rejected = await run(['approvals', 'reject', String(ERP), '--as', ADMIN, '--comment', 'the ERP still uses it until March']);
    expect(rejected).toMatchObject({ code: 0, stderr: '', stdout: 'approval 4 rejected by admins@demo.example\n' });
    expect(await statusOf(ERP)).toBe('rejected');
    before = await ledger();
    expect(await run(['approvals', 'approve', String(ERP), '--as', SECOND_ADMIN])).toMatchObject({
      code: 5,
      stdout: '',
      stderr: 'warden: approval 4 is rejected: only a pending approval can be approved\n',
    });
    expect(await ledger()).toEqual(before);
  });

  it('never removes an account on the tenant’s break-glass list (tenants set --break-glass): exit 5, nothing changed', async () => {
    const set = await run(['tenants', 'set', 'demo', '--break-glass', 'Cara.Diaz@demo.example, root@demo.example']);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain('tenant demo: break-glass cara.diaz@demo.example,root@demo.example;');
    const before = await ledger();
    expect(await run(['approvals', 'approve', String(CARA), '--as', ADMIN])).toMatchObject({
      code: 5,
      stdout: '',
      stderr: 'warden: approval 3: the account is on the tenant\'s break-glass list and is never removed\n',
    });
    expect(await ledger()).toEqual(before);
    expect(await statusOf(CARA)).toBe('pending');
    expect(await userStatus('3')).toBe(200);
  });

  it('over the daily cap (tenants set --max-removals-per-day 1) a removal needs a second admin', async () => {
    expect((await run(['tenants', 'set', 'demo', '--max-removals-per-day', '1'])).code).toBe(0);
    // Bob's removal was approved today: Gus's is over the cap of one.
    const first = await run(['approvals', 'approve', String(GUS), '--as', ADMIN]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('approval 2: first approval by admins@demo.example recorded; over the tenant’s daily cap of removals it stays pending until a second admin approves it\n');
    expect(await t.db.selectFrom('approvals').select(['status', 'first_approved_by']).where('id', '=', GUS).executeTakeFirstOrThrow()).toEqual({ status: 'pending', first_approved_by: ADMIN });
    expect(await userStatus('9')).toBe(200);

    const before = await ledger();
    expect(await run(['approvals', 'approve', String(GUS), '--as', ADMIN])).toMatchObject({
      code: 5,
      stdout: '',
      stderr: 'warden: approval 2: you approved it already; it needs a second admin\n',
    });
    expect(await ledger()).toEqual(before);

    const second = await run(['approvals', 'approve', String(GUS), '--as', SECOND_ADMIN]);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toMatch(/^approval 2 approved by it2@demo\.example; remediation run [0-9a-f-]{36}: verified\n$/);
    expect(await userStatus('9')).toBe(404);
    const events = (JSON.parse((await run(['approvals', 'show', String(GUS), '--format', 'json'])).stdout) as Detail).trail.map((e) => [e.event, e.actor]);
    expect(events.slice(2, 4)).toEqual([['first_approval', ADMIN], ['approved', SECOND_ADMIN]]);
  });

  it('a webhook switch-off (DAT-01), opened by the data-handling audit: listed by its kind, approved, switched off on the simulator and verified', async () => {
    const audit = await run(['run', 'data-handling', '--tenant', 'demo']);
    expect(audit.code, audit.stderr).toBe(0);
    const listed = await listJson('--kind', 'disable_webhook');
    expect(listed.map((a) => [a.kind, a.rule, a.subject.id, a.status])).toEqual([['disable_webhook', 'DAT-01', '2', 'pending']]);
    const webhook = async () => ((await (await fetch(`${sim.url}/webhooks/2`, { headers: { authorization: `Bearer ${sim.token}` } })).json()) as { data: { is_active: boolean } }).data;
    expect((await webhook()).is_active).toBe(true);
    const id = listed[0]!.id;
    const r = await run(['approvals', 'approve', String(id), '--as', ADMIN]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^approval ${id} approved by admins@demo\\.example; remediation run [0-9a-f-]{36}: verified\n$`));
    expect((await webhook()).is_active).toBe(false);
    const shown = await run(['approvals', 'show', String(id)]);
    expect(shown.stdout).toContain(`Approval ${id}: Disable webhook 2 (transaction.created) (DAT-01), tenant demo`);
    expect(shown.stdout).not.toMatch(/demo-report-key|\/ingest/);
  });

  it('with REDIS_URL, queues the remediation on the fleet and says so with its run id', async () => {
    transport = testTransport();
    const r = await run(['approvals', 'approve', String(BOB_TOKEN), '--as', ADMIN], { REDIS_URL: transport.url, WARDEN_QUEUE_PREFIX: transport.prefix! });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const m = /^approval 5 approved by admins@demo\.example; remediation queued as run ([0-9a-f-]{36}) \(see `warden approvals show 5`\)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(await statusOf(BOB_TOKEN)).toBe('approved');
    const row = await t.db.selectFrom('job_runs').selectAll().where('idempotency_key', '=', m![1]!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'remediation', tenant: 'demo', status: 'queued', payload: { approval_id: BOB_TOKEN } });
  });
});

describe('the digest', () => {
  it('lists the tenant’s pending approvals for the admins and compliance, linked to their pages, and not for the engineers', async () => {
    // After the decisions above only Cara Diaz's removal (break-glass: nobody may approve it) is pending.
    expect((await listJson('--state', 'pending')).map((a) => a.id)).toEqual([CARA]);
    const digest = await run(['run', 'digest', '--tenant', 'demo'], { WARDEN_PUBLIC_URL: 'https://warden.demo.example' });
    expect(digest).toMatchObject({ code: 0, stderr: '' });
    const outbox = join(dir, 'outbox');
    const mails = await Promise.all(readdirSync(outbox).filter((n) => n.endsWith('.eml')).map((n) => simpleParser(readFileSync(join(outbox, n)))));
    const digestOf = (label: string) => {
      const found = mails.filter((m) => m.subject?.includes(`${label} digest`));
      expect(found, label).toHaveLength(1);
      return found[0]!;
    };
    for (const label of ['Admin', 'Compliance']) {
      const text = digestOf(label).text ?? '';
      expect(text).toMatch(/^Approvals waiting for an admin: 1, oldest first\.\n {2}#3 Remove account: Cara Diaz \(ACC-03\), waiting 0 days, requested \d{4}-\d\d-\d\d, expires \d{4}-\d\d-\d\d\n {5}https:\/\/warden\.demo\.example\/approvals\/3\n/m);
      expect(digestOf(label).html).toContain('<a href="https://warden.demo.example/approvals/3"');
      // The impact (the account's email, its tokens) stays on the approval's page.
      expect(text).not.toContain('cara.diaz@demo.example');
    }
    // No approvals section (its findings may say "approved destination": DAT-02 goes to every audience).
    expect(digestOf('Engineering').text).not.toMatch(/waiting for an admin|\/approvals|Remove account|Disable: webhook/i);
  });
});
