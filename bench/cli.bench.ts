/**
 * `npm run bench:cli`: the whole `warden` process, start-up included, for the
 * commands that do little: `warden --help`, `warden check` on the small public
 * example (test/fixtures/acme.snapshot.json, JSON out), `warden scan --help`
 * (which loads the scan command's modules) and `warden worker --help` (whose
 * module reaches the app only through withApp, src/cli/ledger.ts). Each is a
 * fresh process, timed from spawn to exit; one warm-up round of each, then the
 * commands in turn, round after round, and the median of the rounds.
 * `node -e 0` is timed too: the part of every figure that is Node's own start-up.
 *
 *   npm run bench:cli -- [--runs 15] [--baseline path/to/bin/warden.js]
 *
 * `--baseline` times another build's `bin/warden.js` in the same rounds,
 * alternately with this one (say, a copy of main's built into bench/.data/),
 * and says whether it printed the same thing.
 *
 * Target (issue 16): `warden --help` and `warden check` ≤ 0.15 s median.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '15' }, baseline: { type: 'string' } } });
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('bench: --runs must be a positive integer');
  process.exit(2);
}
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'warden.js');
const BASELINE = args.baseline === undefined ? undefined : resolve(args.baseline);
if (BASELINE !== undefined && !existsSync(BASELINE)) {
  console.error(`bench: --baseline ${BASELINE} does not exist`);
  process.exit(2);
}
const TARGET_MS = 150;

interface Case {
  label: string;
  args: string[];
  /** Held to the issue's target. */
  target: boolean;
}

const CASES: readonly Case[] = [
  { label: 'warden --help', args: ['--help'], target: true },
  {
    label: 'warden check (acme, json)',
    // A fixed instant, so that two builds' outputs can be compared byte for byte.
    args: ['check', '--snapshot', join(ROOT, 'test/fixtures/acme.snapshot.json'), '--format', 'json', '--as-of', '2026-11-29T00:00:00Z'],
    target: true,
  },
  { label: 'warden scan --help', args: ['scan', '--help'], target: false },
  // A command that only reaches the app through withApp: its help loads no composition root.
  { label: 'warden worker --help', args: ['worker', '--help'], target: false },
];

// Nothing from the caller's environment: no ledger, no queue, the same for every build.
const ENV = { PATH: process.env.PATH ?? '/usr/bin', NO_COLOR: '1' };

/** One fresh process: its time from spawn to exit, and what it printed; throws unless it exited 0. */
function run(argv: readonly string[]): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', env: ENV, maxBuffer: 1 << 24 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return { ms, stdout: r.stdout };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const builds: readonly { name: string; bin: string }[] = [{ name: 'this build', bin: BIN }, ...(BASELINE === undefined ? [] : [{ name: 'baseline', bin: BASELINE }])];
const times = new Map<string, number[]>();
const outputs = new Map<string, string>();
const key = (build: string, label: string) => `${build}\u0000${label}`;

function round(record: boolean): void {
  const nodeMs = run(['-e', '0']).ms;
  if (record) (times.get('node') ?? times.set('node', []).get('node')!).push(nodeMs);
  for (const c of CASES) {
    for (const b of builds) {
      const { ms, stdout } = run([b.bin, ...c.args]);
      const k = key(b.name, c.label);
      if (record) (times.get(k) ?? times.set(k, []).get(k)!).push(ms);
      outputs.set(k, stdout);
    }
  }
}

round(false); // warm-up: the page cache, the compile cache
for (let i = 0; i < RUNS; i++) round(true);

const findings = (JSON.parse(outputs.get(key('this build', CASES[1]!.label))!) as { findings: unknown[] }).findings.length;
console.log(`warden CLI start-up benchmark: whole processes, median of ${RUNS} rounds after one warm-up, node ${process.version}`);
console.log(`(warden check: ${findings} findings on test/fixtures/acme.snapshot.json)`);
console.log(`${''.padEnd(28)}${builds.map((b) => b.name.padStart(14)).join('')}${BASELINE === undefined ? '' : '     ratio'}`);
console.log(`${'node -e 0'.padEnd(28)}${`${median(times.get('node')!).toFixed(0)} ms`.padStart(14)}`);
let met = true;
for (const c of CASES) {
  const ms = builds.map((b) => median(times.get(key(b.name, c.label))!));
  const ratio = ms.length === 2 ? `${(ms[0]! / ms[1]!).toFixed(2)}x`.padStart(10) : '';
  const verdict = c.target ? `  (target <= ${TARGET_MS} ms) ${ms[0]! <= TARGET_MS ? 'OK' : 'OVER'}` : '';
  if (c.target && ms[0]! > TARGET_MS) met = false;
  console.log(`${c.label.padEnd(28)}${ms.map((m) => `${m.toFixed(0)} ms`.padStart(14)).join('')}${ratio}${verdict}`);
}
if (BASELINE !== undefined) {
  const differ = CASES.filter((c) => outputs.get(key('this build', c.label)) !== outputs.get(key('baseline', c.label))).map((c) => c.label);
  console.log(differ.length === 0 ? 'output: byte-identical to the baseline for every command' : `WARNING: output differs from the baseline for ${differ.join(', ')}`);
}
console.log(met ? 'target met' : 'target NOT met');
