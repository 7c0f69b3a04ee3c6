// `warden scan` through the real binary (node bin/warden.js) on the real Postgres, over a temporary
// git repository: the demo tenant's secrets (seeded by the jobs' test world, sealed with the test
// key) plus one with characters URL encoding changes, imported through `warden secrets add`.
// A value committed a year ago and removed since is found only with --git-history, named by its
// commit; a base64 value in a config file and a URL-encoded one in a query string are found on
// disk; binary and >10 MB files are skipped and counted, unreadable paths named and the scan goes
// on. Findings are recorded in the ledger in a `scan` run, reach the digest, and a later scan of
// the same root that no longer finds them resolves them. Bad input is one line, exit 2, nothing
// written. No output or log line ever holds a value, in any of its forms, or a line's text.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingDetail } from '../../src/app/findings-view.js';
import type { ScanResult } from '../../src/app/scan.js';
import { listFindings } from '../../src/db/findings.repository.js';
import { listVersions } from '../../src/db/secret-versions.repository.js';
import { addTenant } from '../../src/db/tenants.repository.js';
import { openVersion } from '../../src/rotation/secret-values.js';
import { encodingsOf } from '../../src/scan/needles.js';
import { startWorld, TENANT, type JobsWorld } from '../integration/jobs/support.js';
import { TEST_DATABASE_URL, TEST_SECRET_KEY } from '../support/db.js';
import { compileCli, removeCli, warden, type BinResult } from '../support/warden-bin.js';

const SLOW = 180_000;
/** A value URL encoding changes (`+`, `/`, `?`, `&`, `=`, space, `%`), as an imported secret may be. */
const SPECIAL = 'k+9/Qz?user=a&b c%2F-0123456789-abcdefghijkl';
/** Text of the lines that hold a value: it must never be printed either. */
const LINE_MARK = 'do-not-print-this-line';
const YEAR_AGO = new Date(Date.now() - 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');

let world: JobsWorld;
let env: Record<string, string>;
let repo: string;
let oldCommit: string;
/** Every version's value by `name/label`. */
const values = new Map<string, Buffer>();
/** Everything every command printed: none of it may hold a value. */
const printed: string[] = [];

const value = (key: string) => {
  const v = values.get(key);
  if (v === undefined) throw new Error(`no version ${key}`);
  return v.toString('utf8');
};

async function scan(args: string[], extraEnv: Record<string, string> = {}): Promise<BinResult> {
  const r = await warden(['scan', ...args], { ...env, ...extraEnv }, { cwd: repo, timeoutMs: 120_000 });
  printed.push(r.stdout, r.stderr);
  return r;
}

const json = (r: BinResult) => JSON.parse(r.stdout) as ScanResult;
const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', HOME: repo } }).trim();
const gitAt = (date: string, ...args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', HOME: repo, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } }).trim();

const scanRuns = async () => (await world.db.db.selectFrom('job_runs').selectAll().where('kind', '=', 'scan').orderBy('id').execute());
const countRuns = async () => (await world.db.db.selectFrom('job_runs').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

beforeAll(async () => {
  compileCli();
  world = await startWorld('postgres', { outbox: true });
  env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: world.db.schema!, WARDEN_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'info' };
  repo = mkdtempSync(join(tmpdir(), 'warden-scan-'));
  const added = await warden(['secrets', 'add', 'partner-hooks', '--tenant', TENANT, '--kind', 'webhook-signing', '--value-env', 'PARTNER_SECRET'], { ...env, PARTNER_SECRET: SPECIAL }, { cwd: repo });
  printed.push(added.stdout, added.stderr);
  expect(added.code, added.stderr).toBe(0);
  const key = Buffer.from(TEST_SECRET_KEY, 'base64');
  for (const v of await listVersions(world.db.db, TENANT)) if (v.label !== 'retired') values.set(`${v.name}/${v.label}`, openVersion(v, key));
  expect([...values.keys()].sort()).toEqual(['barcode/current', 'barcode/pending', 'partner-hooks/current', 'pos-sync-password/current', 'webhook-signing/current']);

  git('init', '-q');
  // A year ago: the webhook secret committed in a settings file, as written...
  mkdirSync(join(repo, 'old'));
  writeFileSync(join(repo, 'old/settings.env'), `# ${LINE_MARK}\nWEBHOOK_SECRET=${value('webhook-signing/current')}\n`);
  gitAt(YEAR_AGO, 'add', '-A');
  gitAt(YEAR_AGO, 'commit', '-qm', 'settings');
  oldCommit = git('rev-parse', 'HEAD');
  // ...and removed in a later commit: the files no longer hold it.
  git('rm', '-q', 'old/settings.env');
  git('commit', '-qm', 'no secrets in the repository');
  // On disk now: base64 in a config file, URL-encoded in a query string.
  mkdirSync(join(repo, 'config'));
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'config/app.yml'), `name: pos\nbarcode:\n  # ${LINE_MARK}\n  secret_b64: ${Buffer.from(value('barcode/pending')).toString('base64')} # ${LINE_MARK}\n`);
  writeFileSync(join(repo, 'src/client.ts'), `// client\n\nexport const callback = 'https://hooks.example/cb?key=${encodeURIComponent(SPECIAL)}&x=1'; // ${LINE_MARK}\n`);
  writeFileSync(join(repo, 'README.md'), '# nothing secret here\n');
  // Skipped and counted: a binary file (NUL in the first 8 KB) and one over 10 MB, each holding a value.
  writeFileSync(join(repo, 'logo.bin'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), Buffer.from(value('pos-sync-password/current'))]));
  const big = Buffer.alloc(10 * 1024 * 1024 + 1, 'a');
  big.write(value('barcode/current'), 1000);
  writeFileSync(join(repo, 'big.log'), big);
  // Unreadable, for root too: a dangling link and a loop of links; a FIFO is never opened (it would wait).
  symlinkSync('nowhere.yml', join(repo, 'config/missing.yml'));
  symlinkSync('loop-b', join(repo, 'loop-a'));
  symlinkSync('loop-a', join(repo, 'loop-b'));
  execFileSync('mkfifo', [join(repo, 'pipe')]);
  // chmod 000 stops every user but root (tests may run as root): asserted for what it is below.
  writeFileSync(join(repo, 'locked.txt'), 'nothing secret\n');
  chmodSync(join(repo, 'locked.txt'), 0o000);
}, 2 * SLOW);

afterAll(async () => {
  await world?.close();
  if (repo !== undefined) rmSync(repo, { recursive: true, force: true });
  removeCli();
});

const asRoot = process.getuid?.() === 0;

describe('warden scan (the real binary)', () => {
  it('finds the base64 value in a config file and the URL-encoded one in a query string, exit 3; skips and names what it cannot read', async () => {
    const r = await scan(['.', '--tenant', TENANT, '--format', 'json']);
    expect(r.code, r.stderr).toBe(3);
    const result = json(r);
    expect(result.tenant).toBe(TENANT);
    expect(result.roots).toEqual([repo]);
    expect(result.hits).toEqual([
      { path: join(repo, 'config/app.yml'), line: 4, commit: null, committed_at: null, secret: 'barcode', kind: 'barcode', version: 'pending', encoding: 'base64' },
      { path: join(repo, 'src/client.ts'), line: 3, commit: null, committed_at: null, secret: 'partner-hooks', kind: 'webhook-signing', version: 'current', encoding: 'url-encoded' },
    ]);
    expect(result.skipped).toEqual({ binary: 1, too_large: 1, not_regular: 1 });
    const unreadable = [
      { path: join(repo, 'config/missing.yml'), error: 'ENOENT' },
      ...(asRoot ? [] : [{ path: join(repo, 'locked.txt'), error: 'EACCES' }]),
      { path: join(repo, 'loop-a'), error: 'ELOOP' },
      { path: join(repo, 'loop-b'), error: 'ELOOP' },
    ];
    expect(result.unreadable).toEqual(unreadable);
    // README.md, the two files found in, and locked.txt when root reads it: the scan went on past each unreadable path.
    expect(result.files).toBe(asRoot ? 4 : 3);
    expect(result.blobs).toBe(0);
    // Logs on stderr, JSON lines only, none with a value (checked for all outputs at the end).
    expect(r.stderr.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['scan started', 'scan finished']);
  }, SLOW);

  it('finds the value committed a year ago and removed since only with --git-history, named by that commit', async () => {
    const withoutHistory = json(await scan(['.', '--tenant', TENANT, '--format', 'json']));
    expect(withoutHistory.hits.map((h) => h.secret)).not.toContain('webhook-signing');

    const r = await scan(['.', '--tenant', TENANT, '--git-history', '--format', 'json']);
    expect(r.code, r.stderr).toBe(3);
    const result = json(r);
    expect(result.histories).toEqual([repo]);
    expect(result.hits.filter((h) => h.commit !== null)).toEqual([
      { path: join(repo, 'old/settings.env'), line: 2, commit: oldCommit, committed_at: YEAR_AGO.replace('Z', '+00:00'), secret: 'webhook-signing', kind: 'webhook-signing', version: 'current', encoding: 'raw' },
    ]);
    expect(result.hits.filter((h) => h.commit === null)).toHaveLength(2);
    // The history's one blob (old/settings.env), each distinct content once.
    expect(result.blobs).toBe(1);

    const table = await scan(['.', '--tenant', TENANT, '--git-history']);
    expect(table.code).toBe(3);
    expect(table.stdout).toContain(`${join(repo, 'old/settings.env')}:2  ${oldCommit.slice(0, 12)} ${YEAR_AGO.slice(0, 10)}  webhook-signing  webhook-signing  current  raw`);
    expect(table.stdout).toMatch(/^3 secret values of demo found \(LEAK-01, critical\):$/m);
    expect(table.stdout).toContain(`Could not read ${asRoot ? 3 : 4} paths:\n  ${join(repo, 'config/missing.yml')} (ENOENT)\n`);
  }, SLOW);

  it('records the findings in the ledger, in scan runs, and the digest shows them', async () => {
    const open = await listFindings(world.db.db, { tenant: TENANT, rules: ['LEAK-01'] });
    expect(open.map((f) => [f.subject_type, f.subject_id, f.severity, f.action])).toEqual([
      ['file', `${join(repo, 'config/app.yml')}:4`, 'critical', 'rotate_secret'],
      ['file', `${join(repo, 'old/settings.env')}:2@${oldCommit}`, 'critical', 'rotate_secret'],
      ['file', `${join(repo, 'src/client.ts')}:3`, 'critical', 'rotate_secret'],
    ]);
    const runs = await scanRuns();
    expect(runs.map((r) => [r.tenant, r.status])).toEqual([
      [TENANT, 'succeeded'],
      [TENANT, 'succeeded'],
      [TENANT, 'succeeded'],
      [TENANT, 'succeeded'],
    ]);
    expect(runs[0]!.counts).toMatchObject({ hits: 2, findings: 2, created: 2, resolved: 0, skipped_binary: 1, skipped_too_large: 1, unreadable: asRoot ? 3 : 4 });
    expect(runs[2]!.counts).toMatchObject({ hits: 3, created: 1, persisting: 2, blobs: 1 });
    for (const f of open) expect(f.last_run_id).toBe(runs[3]!.id);
    // Its page lists the scan runs that saw it, not the data-handling audit's.
    const detail = await findingDetail(world.db.db, [TENANT], TENANT, open[1]!.fingerprint);
    expect(detail).toMatchObject({ rule: 'LEAK-01', family: 'data', job_kind: 'scan', subject: { type: 'file' } });
    expect(detail.runs.map((r) => r.id)).toContain(runs[3]!.id);
    expect(new Set(detail.runs.map((r) => r.kind))).toEqual(new Set(['scan']));

    const digest = await world.run('digest');
    expect(digest.status, digest.error ?? '').toBe('succeeded');
    const mails = await world.digests();
    expect(mails.length).toBeGreaterThan(0);
    for (const mail of mails) {
      expect(mail.text).toContain('LEAK-01');
      expect(mail.text).toContain(`file: ${join(repo, 'old/settings.env')}:2 (commit ${oldCommit.slice(0, 12)})`);
      printed.push(mail.text ?? '', typeof mail.html === 'string' ? mail.html : '');
    }
  }, SLOW);

  it('resolves what a later scan of the same root no longer finds, and only that', async () => {
    writeFileSync(join(repo, 'config/app.yml'), 'name: pos\nbarcode:\n  secret_file: /run/secrets/barcode\n');
    writeFileSync(join(repo, 'src/client.ts'), "// client\n\nexport const callback = 'https://hooks.example/cb?x=1';\n");
    // Another root first: it resolves nothing of this one.
    const other = mkdtempSync(join(tmpdir(), 'warden-scan-other-'));
    try {
      writeFileSync(join(other, 'clean.txt'), 'nothing\n');
      const elsewhere = await warden(['scan', other, '--tenant', TENANT, '--format', 'json'], env, { cwd: other });
      printed.push(elsewhere.stdout, elsewhere.stderr);
      expect(elsewhere.code).toBe(0);
      expect(json(elsewhere).run).toMatchObject({ created: 0, resolved: 0 });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }

    // The files on disk: both resolved, exit 0; the history's finding is not this scan's to resolve.
    const r = await scan(['.', '--tenant', TENANT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^No secret of demo found\.$/m);
    expect(r.stdout).toMatch(/^Findings: 0 new, 0 still open, 2 resolved \(run \d+\)\.$/m);
    const open = await listFindings(world.db.db, { tenant: TENANT, rules: ['LEAK-01'] });
    expect(open.map((f) => f.subject_id)).toEqual([`${join(repo, 'old/settings.env')}:2@${oldCommit}`]);

    // The history still holds the old value: --git-history still finds it (rotating the secret is the remedy).
    const again = await scan(['.', '--tenant', TENANT, '--git-history', '--format', 'json']);
    expect(again.code).toBe(3);
    expect(json(again).run).toMatchObject({ created: 0, persisting: 1, resolved: 0 });
  }, SLOW);

  it('refuses bad input in one line, exit 2, writing nothing', async () => {
    const before = await countRuns();
    await addTenant(world.db.db, { name: 'empty', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'EMPTY_OMNEO_TOKEN' });
    const notGit = mkdtempSync(join(tmpdir(), 'warden-scan-plain-'));
    try {
      const cases: [string[], RegExp][] = [
        [['missing-folder', '--tenant', TENANT], /^warden: missing-folder: no such file or folder\n$/],
        [['.', '--tenant', 'empty'], /^warden: --tenant: tenant "empty" has no secrets in Warden's store: there is nothing to look for \(warden secrets add\)\n$/],
        [['.', '--tenant', 'nobody'], /^warden: --tenant: no tenant named "nobody"\n$/],
        [[notGit, '--tenant', TENANT, '--git-history'], /^warden: \S+: is not in a git work tree, and --git-history reads a repository's history \(git rev-parse failed: fatal: .*\)\n$/],
        [['--tenant', TENANT], /^warden: missing required argument 'PATH'\n$/],
      ];
      for (const [args, message] of cases) {
        const r = await scan(args, { LOG_LEVEL: 'warn' });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(message);
      }
    } finally {
      rmSync(notGit, { recursive: true, force: true });
    }
    expect(await countRuns()).toBe(before);
  }, SLOW);

  it('never printed, logged or emailed a value in any form, nor the text of a line it was found on', () => {
    const all = printed.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(LINE_MARK);
    for (const [key, v] of values) {
      for (const [encoding, form] of encodingsOf(v)) expect(all.includes(form.toString('latin1')), `${key} ${encoding}`).toBe(false);
      // And the three forms spelled out, whatever encodingsOf says.
      expect(all).not.toContain(v.toString('utf8'));
      expect(all).not.toContain(v.toString('base64'));
      expect(all).not.toContain(encodeURIComponent(v.toString('utf8')));
    }
  });
});
