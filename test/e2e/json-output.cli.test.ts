// The real binary (node bin/warden.js) in a child process: every command with
// `--format json` prints nothing but its JSON document on stdout (logs go to
// stderr), and unusable local folders are one-line input errors, exit 2,
// before any work. A child process, because only there do the process's real
// streams (and the logger's) show what a script piping stdout would get.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, compileCli, removeCli, warden as wardenBin, type BinResult } from '../support/warden-bin.js';

afterAll(removeCli);

const dir = mkdtempSync(join(tmpdir(), 'warden-json-'));

/** The binary in this file's folder, with exactly `env` (plus PATH). */
const warden = (args: string[], env: Record<string, string>, timeoutMs?: number) =>
  wardenBin(args, env, { cwd: dir, ...(timeoutMs === undefined ? {} : { timeoutMs }) });

const env = { WARDEN_DATA_DIR: join(dir, 'data'), WARDEN_OUTBOX: join(dir, 'outbox') };

beforeAll(() => {
  // A private build (test/support/warden-bin.ts): another file compiling dist/ meanwhile cannot break it.
  compileCli();
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--format json prints only JSON on stdout', () => {
  // One ledger, used in order within this one test: demo first (it migrates and seeds), then the rest read it.
  it('demo, run, runs, tenants list and check', async () => {
    const demo = await warden(['demo', '--format', 'json'], env, 120_000);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    const report = JSON.parse(demo.stdout) as { runs: { kind: string; status: string }[]; top: unknown[] };
    expect(report.runs.map((r) => r.status)).toEqual(Array(7).fill('succeeded'));
    expect(report.top).toHaveLength(5);

    // The inline runner logs at info: those lines must go to stderr, never before the JSON.
    // allowlist-audit reads only the ledger, so it needs no simulator (the demo's is gone).
    const run = await warden(['run', 'allowlist-audit', '--tenant', 'demo', '--format', 'json'], env);
    expect(run.code).toBe(0);
    const one = JSON.parse(run.stdout) as { kind: string; status: string; counts: Record<string, number>; duration_ms: number };
    expect(one).toMatchObject({ kind: 'allowlist-audit', status: 'succeeded' });
    expect(one.counts.persisting).toBe(one.counts.findings);
    expect(one.duration_ms).toBeGreaterThanOrEqual(0);
    expect(run.stderr).toContain('"msg":"audit recorded"');

    const runs = await warden(['runs', '--format', 'json'], env);
    expect(runs.code).toBe(0);
    // The demo's seven runs (six audit jobs and the digest), the allowlist-audit run above, and the two `rotation`
    // runs its secret-rotation run left queued (the policy rotation of its 90-day-old secret, and its stuck one):
    // the demo runs only the audit jobs and the digest.
    const listed = JSON.parse(runs.stdout) as { kind: string; status: string }[];
    expect(listed.filter((r) => r.kind !== 'rotation')).toHaveLength(8);
    expect(listed.filter((r) => r.kind === 'rotation').map((r) => r.status)).toEqual(['queued', 'queued']);

    const tenants = await warden(['tenants', 'list', '--format', 'json'], env);
    expect(tenants.code).toBe(0);
    expect((JSON.parse(tenants.stdout) as { name: string }[]).map((t) => t.name)).toEqual(['demo']);

    const check = await warden(['check', '--snapshot', join(ROOT, 'test/fixtures/acme.snapshot.json'), '--as-of', '2026-11-29T00:00:00Z', '--format', 'json'], env);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toHaveProperty('findings');
  }, 240_000);
});

describe('unusable local folders are one-line input errors, before any work', () => {
  const oneLine = (r: BinResult, variable: string) => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^warden: ${variable}: cannot create or write the folder .*\\n$`));
    expect(r.stderr.split('\n')).toHaveLength(2);
  };

  it('WARDEN_OUTBOX that is a file: the demo stops at once instead of retrying the digest', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const r = await warden(['demo'], { WARDEN_DATA_DIR: join(dir, 'data-outbox'), WARDEN_OUTBOX: file });
    oneLine(r, 'WARDEN_OUTBOX');
    // Checked before the ledger: nothing was created under the data folder.
    expect(existsSync(join(dir, 'data-outbox'))).toBe(false);
    expect(r.ms).toBeLessThan(15_000);
  }, 30_000);

  it('WARDEN_DATA_DIR under /proc: migrate and demo answer instead of hanging', async () => {
    for (const command of ['migrate', 'demo']) {
      oneLine(await warden([command], { WARDEN_DATA_DIR: '/proc/nope', WARDEN_OUTBOX: join(dir, 'outbox') }, 20_000), 'WARDEN_DATA_DIR');
    }
  }, 60_000);
});
