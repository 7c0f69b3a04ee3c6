// `warden purge …` and the tenants' erasure settings through the real binary (node bin/warden.js) on
// the real Postgres, against the simulator over HTTP: a request enqueued and erased in process down
// to the profile gone from the simulator, enqueued again (the same request), the CSV import (a good
// file, every bad input refused with nothing imported, --skip-invalid, 10 000 rows), the status JSON
// contract, list, show, certificates, extend, retain, retry of a request the simulator kept failing,
// the subject-access lookup, the fleet (REDIS_URL) path, and no identifier in any output.
// The tests run in order on one ledger.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../jobs/index.js';
import { loadConfig } from '../../src/config.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from '../../src/demo/seed-demo.js';
import { addCalendarMonths } from '../../src/erasure/deadline.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import type { QueueTransport } from '../../src/queue/connection.js';
import { JobRegistry } from '../../src/queue/registry.js';
import { secretKey } from '../../src/secrets/secret-box.js';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../support/cli.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, type TestDatabase } from '../support/db.js';
import { cleanQueues, countKeys, testTransport } from '../support/queue.js';
import { compileCli, nonJsonLines, removeCli, warden, type BinResult } from '../support/warden-bin.js';
import { simApi, simConfig, someProfiles, type SimProfile } from '../integration/erasure/support.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-purge-'));
let t: TestDatabase;
let sim: Simulator;
let env: Record<string, string>;
let transport: QueueTransport | undefined;
/** Every output of every command, to prove no identifier was ever printed or logged. */
const outputs: string[] = [];
const run = async (args: string[], more: Record<string, string> = {}): Promise<BinResult> => {
  const r = await warden(args, { ...env, ...more }, { cwd: dir, timeoutMs: 120_000 });
  outputs.push(r.stdout, r.stderr);
  return r;
};
/** Refusals change nothing, so they may run side by side: four processes at a time, results in order. */
async function runAll(list: readonly string[][]): Promise<BinResult[]> {
  const results: BinResult[] = [];
  for (let i = 0; i < list.length; i += 4) results.push(...(await Promise.all(list.slice(i, i + 4).map((args) => run(args)))));
  return results;
}
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Profiles of the simulator no request of the demo's history names, handed out in order. */
let profiles: SimProfile[] = [];
const nextProfile = () => {
  const p = profiles.shift();
  if (p === undefined) throw new Error('the simulator has no more profiles for this test');
  return p;
};
/** Every identifier the tests gave Warden: none may ever show in an output. */
const given: string[] = [];
const identifiersOf = (p: SimProfile) => {
  given.push(p.email!, p.mobile_phone!);
  return [`email:${p.email!}`, `phone:${p.mobile_phone!}`];
};

/** When the good file's requests were received: a few days ago, so their deadline is still ahead. */
const RECEIVED_DAY = new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10);
const QUEUED_IN_LEDGER = 'their runs are queued in the ledger: a running `warden worker` takes them within five minutes (its reconcile)';
/** Every test here runs the binary a few times (a second or two each). */
const SLOW = 180_000;

const STATUSES = ['received', 'purging', 'purged', 'verified', 'not_found', 'retained', 'failed'];
/** The keys of ErasureView (src/app/erasures.ts): the contract scripts rely on. */
const VIEW_KEYS = [
  'id', 'tenant', 'profile_id', 'status', 'reference', 'requested_by', 'received_at', 'deadline_at', 'overdue', 'extended', 'purged_at',
  'verified_at', 'failed_at', 'retained', 'error', 'purge_rounds', 'purge_answers', 'identifier_kinds', 'identifiers_held', 'next_reverify_at', 'reopened',
].sort();

interface View {
  id: number;
  status: string;
  profile_id: string;
  deadline_at: string;
  received_at: string;
  identifiers_held: boolean;
  [key: string]: unknown;
}

const count = async (table: 'erasure_requests' | 'erasure_events' | 'erasure_certificates' | 'audit_log' | 'job_runs') =>
  (await t.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
/** Everything a refused command could have changed. */
const ledger = async () => ({
  requests: await t.db.selectFrom('erasure_requests').selectAll().orderBy('id').execute(),
  events: await count('erasure_events'),
  certificates: await count('erasure_certificates'),
  audit: await count('audit_log'),
  runs: await count('job_runs'),
});
const request = (id: number) => t.db.selectFrom('erasure_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

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
  await seedDemoTenant(t.db, { simulator: sim, secretKey: secretKey(loadConfig(env), join(dir, 'data')) });
  const history = new Set((await t.db.selectFrom('erasure_requests').select('profile_id').execute()).map((r) => r.profile_id));
  profiles = (await someProfiles(sim, 60)).filter((p) => !history.has(String(p.id)) && p.email !== null && p.mobile_phone !== null);
}, 180_000);

afterAll(async () => {
  if (transport !== undefined) await cleanQueues(transport, new JobRegistry({ definitions: jobs }));
  await t?.destroy();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

let erased: { id: number; profile: SimProfile };

describe('warden purge enqueue', () => {
  it('records the request, purges and proves it here without REDIS_URL, and prints {request, created, run}; only JSON on stdout, logs on stderr', async () => {
    const profile = nextProfile();
    const r = await run(
      ['purge', 'enqueue', '--tenant', 'demo', '--profile', String(profile.id), ...identifiersOf(profile).flatMap((i) => ['--identifier', i]), '--reference', 'DSR-1', '--format', 'json'],
      { LOG_LEVEL: 'info' },
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { request: View; created: boolean; run: string | null };
    expect(Object.keys(out).sort()).toEqual(['created', 'request', 'run']);
    expect(Object.keys(out.request).sort()).toEqual(VIEW_KEYS);
    expect(out).toMatchObject({ created: true, request: { tenant: 'demo', profile_id: String(profile.id), status: 'verified', reference: 'DSR-1', identifiers_held: false, identifier_kinds: ['email', 'phone'] } });
    expect(out.run).toEqual(expect.any(String));
    // The log lines went to stderr, each a JSON line, none naming a profile.
    expect(r.stderr).toContain('"msg":"erasure proven"');
    expect(nonJsonLines(r.stderr)).toEqual([]);
    expect(r.stderr).not.toMatch(/"profile(_id)?":/);
    expect((await simApi(sim, 'GET', `/profiles/${profile.id}`)).status).toBe(404);
    expect((await t.db.selectFrom('job_runs').select('status').where('idempotency_key', '=', out.run!).executeTakeFirstOrThrow()).status).toBe('succeeded');
    erased = { id: out.request.id, profile };
  }, SLOW);

  it('enqueueing the same profile again returns the same request, says so, and records nothing', async () => {
    const before = await ledger();
    const text = await run(['purge', 'enqueue', '--tenant', 'demo', '--profile', String(erased.profile.id)]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(new RegExp(`^erasure request ${erased.id} \\(tenant demo\\) already requested, received .*: verified at .*; nothing new recorded\\n$`));
    const again = await run(['purge', 'enqueue', '--tenant', 'demo', '--profile', String(erased.profile.id), '--format', 'json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, run: null, request: { id: erased.id, status: 'verified' } });
    expect(await ledger()).toEqual(before);
  }, SLOW);

  it('refuses bad input with exit 2, one line naming the flag, and records nothing', async () => {
    const before = await ledger();
    const base = ['purge', 'enqueue', '--tenant', 'demo'];
    const cases: [string[], string][] = [
      [[...base, '--profile', 'abc'], '--profile: must be the platform’s profile id: a whole number'],
      [[...base, '--profile', ''], '--profile: must not be empty'],
      [[...base, '--profile', '12', '--received-at', '2999-01-01'], '--received-at: is in the future'],
      [[...base, '--profile', '12', '--received-at', 'yesterday'], '--received-at: not an ISO 8601 instant or date'],
      [[...base, '--profile', '12', '--identifier', 'email:someone-at-example.com'], '--identifier: not an email address'],
      [[...base, '--profile', '12', '--identifier', 'fax:0299998888'], '--identifier: unknown identifier kind (known: email, phone)'],
      [[...base, '--profile', '12', '--reference', 'two\nlines'], '--reference: must be one line of printable text'],
      [['purge', 'enqueue', '--tenant', 'nope', '--profile', '12'], '--tenant: no tenant named "nope"'],
      [['purge', 'enqueue', '--tenant', 'demo'], "required option '--profile <id>' not specified"],
    ];
    const results = await runAll(cases.map(([args]) => args));
    cases.forEach(([args, message], i) => expect(results[i], args.join(' ')).toEqual(expect.objectContaining({ code: 2, stdout: '', stderr: `warden: ${message}\n` })));
    expect(outputs.join('\n')).not.toContain('someone-at-example.com');
    expect(await ledger()).toEqual(before);
  }, SLOW);
});

let imported: number[] = [];
/** The good file's third profile: imported with its email and phone, not yet erased. */
let pendingProfile: SimProfile;

describe('warden purge import', () => {
  it('imports a good file in one go, naming the new and the already requested, and leaves the runs queued for a worker', async () => {
    const [a, b, c] = [nextProfile(), nextProfile(), nextProfile()];
    given.push(a.email!, b.mobile_phone!, c.email!, c.mobile_phone!);
    const csv = file(
      'good.csv',
      [
        'profile_id,received_at,reference,email,phone',
        `${a.id},${RECEIVED_DAY},DSR-2,${a.email!},`,
        `${b.id},,,,"${b.mobile_phone!}"`,
        `${c.id},${RECEIVED_DAY}T10:00:00Z,DSR-4,${c.email!},${c.mobile_phone!}`,
        `${erased.profile.id},,,,`,
      ].join('\n'),
    );
    const before = await count('job_runs');
    const r = await run(['purge', 'import', csv, '--tenant', 'demo']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `${csv} into tenant demo: 4 row(s); 3 new request(s), 1 already requested, 0 skipped\n` +
        `${QUEUED_IN_LEDGER}\n`,
    );
    const rows = await t.db.selectFrom('erasure_requests').selectAll().where('profile_id', 'in', [a, b, c].map((p) => String(p.id))).orderBy('id').execute();
    expect(rows.map((x) => [x.status, x.identifier_kinds, x.reference])).toEqual([
      ['received', ['email'], 'DSR-2'],
      ['received', ['phone'], null],
      ['received', ['email', 'phone'], 'DSR-4'],
    ]);
    expect(rows[0]!.received_at.toISOString()).toBe(`${RECEIVED_DAY}T00:00:00.000Z`);
    // One calendar month (GDPR Art. 12(3)).
    expect(rows[0]!.deadline_at.toISOString()).toBe(addCalendarMonths(new Date(`${RECEIVED_DAY}T00:00:00Z`), 1).toISOString());
    expect(await count('job_runs')).toBe(before + 3);
    imported = rows.map((x) => x.id);
    pendingProfile = c;

    // Again, as JSON: every row maps to its existing request, nothing new.
    const again = await run(['purge', 'import', csv, '--tenant', 'demo', '--format', 'json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ rows: 4, created: 0, existing: 4, skipped: [], ids: [...imported, erased.id] });
  }, SLOW);

  it('refuses each bad input with exit 2, one line naming the file, the line and the field, and imports nothing', async () => {
    const [p, q] = [nextProfile(), nextProfile()];
    const header = 'profile_id,received_at,reference,email,phone';
    const good = `${p.id},,,,`;
    const cases: [string, string[], string][] = [
      ['unknown-tenant.csv', [header, good], '--tenant: no tenant named "nope"'],
      ['empty-id.csv', [header, good, ',,,,'], 'line 3: profile_id: must not be empty'],
      ['malformed-id.csv', [header, good, 'Jane Citizen,,,,'], 'line 3: profile_id: must be the platform’s profile id: a whole number'],
      ['future.csv', [header, good, `${q.id},2999-01-01,,,`], 'line 3: received_at: is in the future'],
      ['duplicate.csv', [header, good, `${q.id},,,,`, `${p.id},,,,`], 'line 4: profile_id: the same profile as line 2'],
      ['bad-email.csv', [header, good, `${q.id},,,jane.at.example.com,`], 'line 3: email: not an email address'],
      ['bad-phone.csv', [header, good, `${q.id},,,,call me`], 'line 3: phone: not a phone number (digits, optionally a leading +, 6 to 15 of them)'],
    ];
    const before = await ledger();
    const paths = cases.map(([name, lines]) => file(name, lines.join('\n')));
    const results = await runAll(cases.map(([name], i) => ['purge', 'import', paths[i]!, '--tenant', name === 'unknown-tenant.csv' ? 'nope' : 'demo']));
    cases.forEach(([name, , problem], i) => {
      const expected = name === 'unknown-tenant.csv' ? `warden: ${problem}\n` : `warden: ${paths[i]!}: ${problem}; nothing imported (--skip-invalid imports the good rows and lists the bad)\n`;
      expect(results[i], name).toEqual(expect.objectContaining({ code: 2, stdout: '', stderr: expected }));
    });
    const unknownColumn = file('unknown-column.csv', `profile_id,name\n${p.id},Jane Citizen\n`);
    expect(await run(['purge', 'import', unknownColumn, '--tenant', 'demo'])).toEqual(
      expect.objectContaining({ code: 2, stdout: '', stderr: `warden: ${unknownColumn}: unknown column "name" (columns: profile_id, received_at, reference, email, phone)\n` }),
    );
    const several = file('several.csv', [header, good, ',,,,', 'x,,,,'].join('\n'));
    expect((await run(['purge', 'import', several, '--tenant', 'demo'])).stderr).toBe(
      `warden: ${several}: line 3: profile_id: must not be empty (and 1 more bad row(s)); nothing imported (--skip-invalid imports the good rows and lists the bad)\n`,
    );
    const missing = join(dir, 'missing.csv');
    expect(await run(['purge', 'import', missing, '--tenant', 'demo'])).toEqual(expect.objectContaining({ code: 2, stderr: `warden: FILE: cannot read ${JSON.stringify(missing)} (ENOENT)\n` }));
    expect(await ledger()).toEqual(before);
    expect(outputs.join('\n')).not.toContain('jane.at.example.com');
    profiles.unshift(p, q);
  }, SLOW);

  it('with --skip-invalid imports the good rows and lists each bad one: line, field, problem', async () => {
    const [p, q] = [nextProfile(), nextProfile()];
    const csv = file('mixed.csv', ['profile_id,email', `${p.id},`, 'abc,', `${q.id},not-an-email`, `${p.id},`].join('\n'));
    const r = await run(['purge', 'import', csv, '--tenant', 'demo', '--skip-invalid', '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(r.stdout) as { rows: number; created: number; existing: number; skipped: unknown[]; ids: number[] };
    expect(out).toMatchObject({
      rows: 4,
      created: 1,
      existing: 0,
      skipped: [
        { line: 3, field: 'profile_id', problem: 'must be the platform’s profile id: a whole number' },
        { line: 4, field: 'email', problem: 'not an email address' },
        { line: 5, field: 'profile_id', problem: 'the same profile as line 2' },
      ],
    });
    expect(out.ids).toHaveLength(1);
    expect((await request(out.ids[0]!)).profile_id).toBe(String(p.id));

    const text = await run(['purge', 'import', csv, '--tenant', 'demo', '--skip-invalid']);
    expect(text.stdout).toBe(
      [
        `${csv} into tenant demo: 4 row(s); 0 new request(s), 1 already requested, 3 skipped`,
        'skipped line 3: profile_id: must be the platform’s profile id: a whole number',
        'skipped line 4: email: not an email address',
        'skipped line 5: profile_id: the same profile as line 2',
        '',
      ].join('\n'),
    );
    // Nothing good left: nothing to import is bad input too.
    const allBad = file('all-bad.csv', 'profile_id\nabc\n');
    expect(await run(['purge', 'import', allBad, '--tenant', 'demo', '--skip-invalid'])).toEqual(
      expect.objectContaining({ code: 2, stderr: `warden: ${allBad}: no valid row to import\n` }),
    );
    profiles.unshift(q);
  }, SLOW);

  it('on a terminal, draws a progress bar on stderr while stdout carries only the summary', async () => {
    // In process, with a stderr that says it is a TTY (a child process's pipe never is).
    const io = captureIo({ ...env });
    Object.assign(io.stderr, { isTTY: true, columns: 100 });
    const csv = file('tty.csv', 'profile_id\n8000000\n8000001\n8000002\n');
    const code = await main(['node', 'warden', 'purge', 'import', csv, '--tenant', 'demo'], io);
    outputs.push(io.out(), io.err());
    expect(code, io.err()).toBe(0);
    expect(io.out()).toBe(`${csv} into tenant demo: 3 row(s); 3 new request(s), 0 already requested, 0 skipped\n${QUEUED_IN_LEDGER}\n`);
    expect(io.err()).toContain('importing |');
    expect(io.err()).toContain('3/3 rows');
  }, SLOW);

  it('imports 10 000 rows in one transaction: every one is in the ledger, each with its run', async () => {
    const first = 7_000_000;
    const rows = Array.from({ length: 10_000 }, (_, i) => `${first + i},2026-01-0${1 + (i % 9)},BULK-${i}`);
    const csv = file('bulk.csv', ['profile_id,received_at,reference', ...rows].join('\n'));
    const runsBefore = await count('job_runs');
    const r = await run(['purge', 'import', csv, '--tenant', 'demo', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    console.log(`warden purge import of 10 000 rows took ${r.ms} ms (the whole process, start to exit)`);
    const out = JSON.parse(r.stdout) as { rows: number; created: number; ids: number[] };
    expect(out).toMatchObject({ rows: 10_000, created: 10_000 });
    const inLedger = await t.db
      .selectFrom('erasure_requests')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('tenant', '=', 'demo')
      .where(sql<boolean>`profile_id::bigint BETWEEN ${first} AND ${first + 9_999}`)
      .executeTakeFirstOrThrow();
    expect(inLedger.n).toBe(10_000);
    expect(await count('job_runs')).toBe(runsBefore + 10_000);
  }, SLOW);
});

describe('warden purge status, list, show', () => {
  it('status --format json is exactly {counts (the 7 statuses), overdue, due_within_7_days, oldest_open}, as the ledger counts', async () => {
    const r = await run(['purge', 'status', '--tenant', 'demo', '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const status = JSON.parse(r.stdout) as { counts: Record<string, number>; overdue: number; due_within_7_days: number; oldest_open: { id: number } | null };
    expect(Object.keys(status).sort()).toEqual(['counts', 'due_within_7_days', 'oldest_open', 'overdue']);
    expect(Object.keys(status.counts).sort()).toEqual([...STATUSES].sort());
    const byStatus = await t.db.selectFrom('erasure_requests').select(['status', sql<number>`count(*)::int`.as('n')]).where('tenant', '=', 'demo').groupBy('status').execute();
    expect(status.counts).toEqual(Object.fromEntries(STATUSES.map((s) => [s, byStatus.find((b) => b.status === s)?.n ?? 0])));
    // The bulk rows were received in January 2026: past their month.
    expect(status.overdue).toBeGreaterThanOrEqual(10_000);
    expect(Object.keys(status.oldest_open ?? {}).sort()).toEqual(['deadline_at', 'id', 'received_at', 'status']);

    const text = await run(['purge', 'status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^STATUS {13}REQUESTS\nreceived {11}\d+\n/);
    expect(text.stdout).toContain(`\nverified           ${status.counts.verified}\n`);
    expect(text.stdout).toMatch(/\noldest open {8}request \d+: /);
    expect(await run(['purge', 'status', '--tenant', 'nope'])).toEqual(expect.objectContaining({ code: 2, stderr: 'warden: --tenant: no tenant named "nope"\n' }));
  }, SLOW);

  it('list filters by tenant and status, newest first; bad filters are exit 2 naming the flag', async () => {
    const r = await run(['purge', 'list', '--tenant', 'demo', '--status', 'verified', '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const rows = JSON.parse(r.stdout) as View[];
    expect(rows.map((v) => v.id)).toContain(erased.id);
    expect(new Set(rows.map((v) => v.status))).toEqual(new Set(['verified']));
    rows.forEach((v) => expect(Object.keys(v).sort()).toEqual(VIEW_KEYS));

    const page = await run(['purge', 'list', '--limit', '2', '--format', 'json']);
    const two = JSON.parse(page.stdout) as View[];
    expect(two).toHaveLength(2);
    expect(two[0]!.id).toBeGreaterThan(two[1]!.id);
    expect(page.stderr).toBe(`2 requests shown: there may be more, with --before ${two[1]!.id}\n`);
    const next = JSON.parse((await run(['purge', 'list', '--limit', '2', '--before', String(two[1]!.id), '--format', 'json'])).stdout) as View[];
    expect(next[0]!.id).toBeLessThan(two[1]!.id);

    const table = await run(['purge', 'list', '--status', 'verified']);
    expect(table.stdout.split('\n')[0]).toBe('ID\tTENANT\tPROFILE\tSTATUS\tRECEIVED\tDEADLINE\tREFERENCE');
    const listCases = [
      [['--status', 'done'], '--status: must be one of received, purging, purged, verified, not_found, retained, failed'],
      [['--limit', '0'], '--limit: must be a whole number from 1 to 1000'],
      [['--limit', 'ten'], '--limit: must be a whole number from 1 to 1000'],
      [['--tenant', 'nope'], '--tenant: no tenant named "nope"'],
      [['--before', 'x'], '--before: not a request id: "x"'],
    ] as const;
    const listed = await runAll(listCases.map(([flags]) => ['purge', 'list', ...flags]));
    listCases.forEach(([, message], i) => expect(listed[i]).toEqual(expect.objectContaining({ code: 2, stdout: '', stderr: `warden: ${message}\n` })));
  }, SLOW);

  it('show prints the request, its checks, its certificate and its trail; an unknown id is exit 4, a malformed one exit 2', async () => {
    const r = await run(['purge', 'show', String(erased.id), '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const d = JSON.parse(r.stdout) as { request: View; events: { event: string }[]; checks: { check: string; passed: boolean }[]; certificate: { outcome: string } | null };
    expect(Object.keys(d).sort()).toEqual(['certificate', 'checks', 'events', 'request']);
    expect(d.events.map((e) => e.event)).toEqual(expect.arrayContaining(['received', 'purge_round', 'purged']));
    expect(d.checks.map((c) => [c.check, c.passed])).toEqual([['control', true], ['profile', true], ['search', true], ['search', true], ['transactions', true]]);
    expect(d.certificate).toMatchObject({ outcome: 'verified' });
    const text = await run(['purge', 'show', String(erased.id)]);
    expect(text.stdout).toContain(`Erasure request ${erased.id}, tenant demo (DSR-1)`);
    expect(text.stdout).toContain('identifiers    email, phone (wiped; salted hashes kept)');
    expect(text.stdout).toContain('\nTrail\n');
    expect(await run(['purge', 'show', '99999999'])).toEqual(expect.objectContaining({ code: 4, stdout: '', stderr: 'warden: erasure_request: no erasure request 99999999\n' }));
    expect(await run(['purge', 'show', 'twelve'])).toEqual(expect.objectContaining({ code: 2, stderr: 'warden: ID: not a request id: "twelve"\n' }));
  }, SLOW);
});

describe('warden purge certificate', () => {
  it('prints the certificate of a proven request as text (the default) or JSON, recorded in the audit log', async () => {
    const r = await run(['purge', 'certificate', String(erased.id), '--format', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const c = JSON.parse(r.stdout) as { id: number; request_id: number; outcome: string; sha256: string; issued_at: string; certificate: Record<string, unknown> };
    expect(Object.keys(c).sort()).toEqual(['certificate', 'id', 'issued_at', 'outcome', 'request_id', 'sha256']);
    expect(c).toMatchObject({ request_id: erased.id, outcome: 'verified', certificate: { tenant: 'demo', profile_id: String(erased.profile.id), outcome: 'verified' } });
    expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((c.certificate.identifiers as { kind: string; sha256: string }[]).map((i) => [i.kind, /^[0-9a-f]{64}$/.test(i.sha256)])).toEqual([['email', true], ['phone', true]]);
    const audit = await t.db.selectFrom('audit_log').selectAll().where('subject', '=', `erasure_request:${erased.id}`).where('action', '=', 'erasure.certified').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.details)).toContain(c.sha256);

    const text = await run(['purge', 'certificate', String(erased.id)]);
    expect(text.code).toBe(0);
    expect(text.stdout.startsWith('CERTIFICATE OF ERASURE\n')).toBe(true);
    expect(text.stdout).toContain(`Request:      #${erased.id} (DSR-1)`);
    expect(text.stdout).toContain(c.sha256);
  }, SLOW);

  it('a request not proven has no certificate: exit 5 saying so; an unknown id is exit 4', async () => {
    expect(await run(['purge', 'certificate', String(imported[0])])).toEqual(
      expect.objectContaining({
        code: 5,
        stdout: '',
        stderr: `warden: erasure request ${imported[0]} has no certificate: it is received (a certificate is issued once the erasure is proven)\n`,
      }),
    );
    expect((await run(['purge', 'certificate', '99999999'])).code).toBe(4);
    expect((await run(['purge', 'certificate', String(erased.id), '--format', 'pdf'])).code).toBe(2);
  }, SLOW);
});

describe('warden purge extend, retain', () => {
  it('extends an open request once, by up to two months from the original month; a second extension is exit 5', async () => {
    const id = imported[0]!;
    const before = await request(id);
    const r = await run(['purge', 'extend', String(id), '--months', '2', '--reason', 'three brands share the profile']);
    const extended = addCalendarMonths(new Date(`${RECEIVED_DAY}T00:00:00Z`), 3).toISOString();
    expect(r).toEqual(expect.objectContaining({ code: 0, stderr: '', stdout: `erasure request ${id}: deadline extended by 2 month(s), now due ${extended}\n` }));
    const after = await request(id);
    expect(before.deadline_at.toISOString()).toBe(addCalendarMonths(new Date(`${RECEIVED_DAY}T00:00:00Z`), 1).toISOString());
    expect(after.deadline_at.toISOString()).toBe(extended);
    expect(after).toMatchObject({ extended_months: 2, extension_reason: 'three brands share the profile' });
    const ledgerBefore = await ledger();
    expect(await run(['purge', 'extend', String(id), '--months', '1', '--reason', 'again'])).toEqual(
      expect.objectContaining({ code: 5, stdout: '', stderr: expect.stringMatching(new RegExp(`^warden: erasure request ${id} was extended already \\(2 month\\(s\\) on .*\\): the law allows one extension\\n$`)) as unknown }),
    );
    expect(await run(['purge', 'extend', String(erased.id), '--months', '1', '--reason', 'late'])).toMatchObject({ code: 5 });
    const extendCases = [
      [['--months', '3', '--reason', 'x'], '--months: must be 1 or 2'],
      [['--months', 'two', '--reason', 'x'], '--months: must be 1 or 2'],
      [['--months', '1', '--reason', ' '], '--reason: must not be empty'],
      [['--months', '1'], "required option '--reason <text>' not specified"],
    ] as const;
    const extended2 = await runAll(extendCases.map(([flags]) => ['purge', 'extend', String(imported[1]), ...flags]));
    extendCases.forEach(([, message], i) => expect(extended2[i]).toEqual(expect.objectContaining({ code: 2, stdout: '', stderr: `warden: ${message}\n` })));
    expect(await run(['purge', 'extend', '99999999', '--months', '1', '--reason', 'x'])).toMatchObject({ code: 4 });
    expect(await ledger()).toEqual(ledgerBefore);
  }, SLOW);

  it('retains a request not yet purged, for a recorded reason; a proven one is exit 5', async () => {
    const id = imported[1]!;
    const r = await run(['purge', 'retain', String(id), '--reason', 'open fraud investigation, Art. 17(3)(e)']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^erasure request ${id}: retained by \\S+\\n$`));
    expect(await request(id)).toMatchObject({ status: 'retained', retained_reason: 'open fraud investigation, Art. 17(3)(e)', identifiers: null });
    const audit = await t.db.selectFrom('audit_log').select('action').where('subject', '=', `erasure_request:${id}`).execute();
    expect(audit.map((a) => a.action)).toContain('erasure.retained');
    expect(await run(['purge', 'retain', String(erased.id), '--reason', 'x'])).toEqual(
      expect.objectContaining({ code: 5, stderr: `warden: erasure request ${erased.id} is verified: only a request not yet purged (received) or failed can be retained\n` }),
    );
    expect(await run(['purge', 'retain', String(imported[2]), '--reason', ''])).toEqual(expect.objectContaining({ code: 2, stderr: 'warden: --reason: must not be empty\n' }));
  }, SLOW);
});

describe('tenants set: the erasure settings', () => {
  it('sets the purge method, the rate limit, the verification and backup windows, each audit-logged; bad values are exit 2 naming the flag', async () => {
    const r = await run(['tenants', 'set', 'demo', '--purge-method', 'post', '--platform-rate-limit', '50', '--erasure-verify-window', '90s', '--backup-window-days', '30']);
    expect(r).toEqual(
      expect.objectContaining({
        code: 0,
        stderr: '',
        stdout: 'tenant demo: erasure by POST /profiles/{id}/purge, at most 50 request(s) a second fleet-wide; verification window 90s; re-verified after 30 day(s)\n',
      }),
    );
    const shown = async () => JSON.parse((await run(['tenants', 'show', 'demo', '--format', 'json'])).stdout) as Record<string, unknown>;
    expect(await shown()).toMatchObject({ purge_method: 'POST', platform_rate_limit: 50, erasure_verify_window_s: 90, backup_window_days: 30 });
    const listed = JSON.parse((await run(['tenants', 'list', '--format', 'json'])).stdout) as Record<string, unknown>[];
    expect(listed[0]).toMatchObject({ purge_method: 'POST', platform_rate_limit: 50, erasure_verify_window_s: 90, backup_window_days: 30 });
    expect((await run(['tenants', 'show', 'demo'])).stdout).toContain('erasure     POST /profiles/{id}/purge, at most 50 request(s) a second fleet-wide; verification window 90s; re-verified after 30 day(s)\n');

    const before = await shown();
    const settingCases = [
      [['--purge-method', 'PUT'], '--purge-method: must be DELETE or POST'],
      [['--platform-rate-limit', '0'], '--platform-rate-limit: must be a whole number from 1 to 100000 or none'],
      [['--platform-rate-limit', 'fast'], '--platform-rate-limit: must be a whole number from 1 to 100000 or none'],
      [['--erasure-verify-window', '25h'], '--erasure-verify-window: must be a duration from 1 s to 24 h, e.g. 90s, 15m or 1h'],
      [['--erasure-verify-window', '0s'], '--erasure-verify-window: must be a duration from 1 s to 24 h, e.g. 90s, 15m or 1h'],
      [['--erasure-verify-window', 'soon'], '--erasure-verify-window: must be a duration from 1 s to 24 h, e.g. 90s, 15m or 1h'],
      [['--backup-window-days', '366'], '--backup-window-days: must be a whole number from 1 to 365'],
      // One bad value refuses the whole change.
      [['--purge-method', 'DELETE', '--backup-window-days', '0'], '--backup-window-days: must be a whole number from 1 to 365'],
    ] as const;
    const refused = await runAll(settingCases.map(([flags]) => ['tenants', 'set', 'demo', ...flags]));
    settingCases.forEach(([, message], i) => expect(refused[i]).toEqual(expect.objectContaining({ code: 2, stdout: '', stderr: `warden: ${message}\n` })));
    expect(await shown()).toEqual(before);

    // Back to the platform's reference method, no pacing, a one-second window for the retry test below.
    expect((await run(['tenants', 'set', 'demo', '--purge-method', 'DELETE', '--platform-rate-limit', 'none', '--erasure-verify-window', '1s'])).stdout).toBe(
      'tenant demo: erasure by DELETE /profiles/{id}/purge, no rate limit; verification window 1s; re-verified after 30 day(s)\n',
    );
    const audit = await t.db.selectFrom('audit_log').select(['action', 'details']).where('subject', '=', 'tenant:demo').where('action', '=', 'tenant.erasure_settings_set').orderBy('id').execute();
    expect(audit.map((a) => a.details)).toEqual([
      { purge_method: 'POST', platform_rate_limit: 50, erasure_verify_window_s: 90, backup_window_days: 30 },
      { purge_method: 'DELETE', platform_rate_limit: null, erasure_verify_window_s: 1 },
    ]);
  }, SLOW);
});

describe('warden purge retry', () => {
  it('refuses a request that did not fail (exit 5, nothing changed); re-opens a failed one, which then ends verified', async () => {
    const before = await ledger();
    expect(await run(['purge', 'retry', String(erased.id)])).toEqual(
      expect.objectContaining({ code: 5, stdout: '', stderr: `warden: erasure request ${erased.id} is verified: only a failed request, or a retained one whose hold has ended, can be retried\n` }),
    );
    expect(await run(['purge', 'retry', '99999999'])).toMatchObject({ code: 4 });
    expect(await run(['purge', 'retry', 'x'])).toEqual(expect.objectContaining({ code: 2, stderr: 'warden: ID: not a request id: "x"\n' }));
    expect(await ledger()).toEqual(before);

    // The platform answers every purge with a success and keeps the profile: two rounds, then failed (exit 1), engineers emailed.
    const profile = nextProfile();
    await simConfig(sim, { purgeDropRate: 1 });
    const failed = await run(['purge', 'enqueue', '--tenant', 'demo', '--profile', String(profile.id), ...identifiersOf(profile).flatMap((i) => ['--identifier', i])]);
    await simConfig(sim, { purgeDropRate: 0 });
    expect(failed.code, failed.stderr).toBe(1);
    const id = Number(/^erasure request (\d+) /.exec(failed.stdout)?.[1]);
    expect(failed.stdout).toMatch(new RegExp(`^erasure request ${id} \\(tenant demo\\): failed: still not proven gone after 2 purge rounds`));
    expect(await request(id)).toMatchObject({ status: 'failed', purge_rounds: 2 });
    const mail = await Promise.all(readdirSync(join(dir, 'outbox')).map((f) => simpleParser(readFileSync(join(dir, 'outbox', f)))));
    const told = mail.filter((m) => m.subject === `[Warden] demo: erasure request #${id} failed`);
    expect(told).toHaveLength(1);
    expect(told[0]!.to).toMatchObject({ text: 'engineers@demo.example' });
    for (const m of mail) for (const g of given) expect(`${m.subject ?? ''}\n${m.text ?? ''}\n${typeof m.html === 'string' ? m.html : ''}`).not.toContain(g);

    const retried = await run(['purge', 'retry', String(id)]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(new RegExp(`^erasure request ${id}: re-opened; verified at \\S+ \\(\`warden purge certificate ${id}\`\\)\\n$`));
    expect(await request(id)).toMatchObject({ status: 'verified', identifiers: null });
    expect((await simApi(sim, 'GET', `/profiles/${profile.id}`)).status).toBe(404);
  }, SLOW);
});

describe('warden purge lookup', () => {
  it('answers a subject access request by the identifier’s salted hash, never printing the identifier', async () => {
    const email = `email:${erased.profile.email!.toUpperCase()}`;
    const r = await run(['purge', 'lookup', '--tenant', 'demo', '--identifier', email]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^erasure request ${erased.id}: erased on \\S+ \\(certificate: \`warden purge certificate ${erased.id}\`\\)\\n$`));
    const json = await run(['purge', 'lookup', '--tenant', 'demo', '--identifier', `phone:${erased.profile.mobile_phone!}`, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([{ id: erased.id, status: 'verified', verified_at: expect.any(String) as unknown, certificate: true }]);
    // Imported with its email, not yet erased.
    const c = await run(['purge', 'lookup', '--tenant', 'demo', '--identifier', `phone:${pendingProfile.mobile_phone!}`]);
    expect(c.stdout).toBe(`erasure request ${imported[2]!}: not erased yet (received)\n`);
    expect((await run(['purge', 'lookup', '--tenant', 'demo', '--identifier', 'email:nobody@nowhere.example'])).stdout).toBe('no erasure request of tenant demo was made with this identifier\n');
    expect(await run(['purge', 'lookup', '--tenant', 'demo', '--identifier', 'email:broken'])).toEqual(expect.objectContaining({ code: 2, stderr: 'warden: --identifier: not an email address\n' }));
    expect(await run(['purge', 'lookup', '--tenant', 'nope', '--identifier', email])).toEqual(expect.objectContaining({ code: 2, stderr: 'warden: --tenant: no tenant named "nope"\n' }));
  }, SLOW);
});

describe('on the fleet (REDIS_URL)', () => {
  it('enqueue and import record the requests and queue their runs for the workers, and say so', async () => {
    transport = testTransport();
    const redis = { REDIS_URL: transport.url, WARDEN_QUEUE_PREFIX: transport.prefix! };
    const profile = nextProfile();
    const r = await run(['purge', 'enqueue', '--tenant', 'demo', '--profile', String(profile.id)], redis);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const m = /^erasure request (\d+) \(tenant demo\) received, due \S+; run (\S+) queued for the workers \(`warden purge show \d+`\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(await request(Number(m![1]))).toMatchObject({ status: 'received' });
    expect((await t.db.selectFrom('job_runs').select('status').where('idempotency_key', '=', m![2]!).executeTakeFirstOrThrow()).status).toBe('queued');
    expect(await countKeys(transport)).toBeGreaterThan(0);

    const other = nextProfile();
    const csv = file('fleet.csv', `profile_id\n${other.id}\n`);
    const imported = await run(['purge', 'import', csv, '--tenant', 'demo'], redis);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toBe(`${csv} into tenant demo: 1 row(s); 1 new request(s), 0 already requested, 0 skipped\ntheir runs are queued for the workers\n`);
  }, SLOW);
});

describe('identifiers', () => {
  it('no email address or phone number given to Warden was ever printed or logged by any command', () => {
    expect(given.length).toBeGreaterThan(5);
    const all = outputs.join('\n');
    for (const g of given) expect(all).not.toContain(g);
    // Nor in another spelling (lower-cased, the phone without its +).
    for (const g of given) expect(all.toLowerCase()).not.toContain(g.replace(/^\+/, '').toLowerCase());
  }, SLOW);
});
