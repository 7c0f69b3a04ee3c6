/**
 * `npm run bench`: the cost of `warden check` against a bare JSON.parse of the
 * same file, at two sizes, each measured in fresh processes (median of runs).
 *
 *   npm run bench -- [--users 100000] [--seed bench] [--runs 3] [--baseline DIR [--paired N]]
 *
 * `--baseline DIR` also times another build of Warden (DIR holds its compiled
 * bench/check-run.js, e.g. `bench/.data/before`), alternating its runs with
 * this build's in the same rounds, so that a before/after comparison shares
 * the machine's load. `--paired N` then runs the two builds' checks of the
 * larger file N more times *at the same time*, one process each, and reports
 * the median of each round's ratio: on a machine whose speed drifts from
 * minute to minute, both meet the same moment of it (alternated rounds
 * still put them a few seconds apart).
 *
 * Targets: check within 2.5x of the bare parse at 100 000 accounts, with peak
 * RSS no higher than before (issue 16; issue 2 set 3x); 5x the data in no more
 * than 6x the time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { syntheticTenant } from '../src/omneo/simulator/synthetic-tenant.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    seed: { type: 'string', default: 'bench' },
    runs: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    paired: { type: 'string', default: '0' },
  },
});
const users = Number(values.users);
const runs = Number(values.runs);
const paired = Number(values.paired);
if (!Number.isInteger(users) || users < 5 || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(paired) || paired < 0) {
  console.error('bench: --users must be an integer >= 5, --runs >= 1 and --paired >= 0');
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, '..', '..', 'bench', '.data');
const runner = join(here, 'check-run.js');
const baselineRunner = values.baseline === undefined ? undefined : resolve(values.baseline, 'bench', 'check-run.js');
if (paired > 0 && baselineRunner === undefined) {
  console.error('bench: --paired needs --baseline (the build to run at the same time)');
  process.exit(2);
}
if (baselineRunner !== undefined && !existsSync(baselineRunner)) {
  console.error(`bench: --baseline: no ${baselineRunner} (build the other version there first)`);
  process.exit(2);
}

function snapshotFile(size: number): string {
  const file = join(dataDir, `synthetic-${values.seed}-${size}.json`);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(syntheticTenant({ seed: values.seed, users: size })));
  }
  return file;
}

interface Measure {
  ms: number;
  /** User and system time of the process (GC threads included); absent from a baseline built before it was reported. */
  cpuMs?: number;
  maxRssMb: number;
  findings?: number;
  outputBytes: number;
  /** Writing the JSON; absent from a baseline built before it was reported. */
  outputMs?: number;
}

/** Medians of a build's runs, with the spread of peak RSS (it moves by a few MB with GC timing alone). */
interface Medians extends Measure {
  rssRange: [number, number];
}

const run = (script: string, mode: 'parse' | 'check', file: string) =>
  JSON.parse(execFileSync(process.execPath, [script, mode, file], { encoding: 'utf8' })) as Measure;
/** {@link run}, without waiting: `--paired` starts two at once. */
const runAsync = async (script: string, mode: 'parse' | 'check', file: string) =>
  JSON.parse((await promisify(execFile)(process.execPath, [script, mode, file], { encoding: 'utf8' })).stdout) as Measure;

/** The median of each figure on its own (a shared machine's load moves time, CPU and RSS apart). */
function median(all: Measure[]): Medians {
  const mid = (pick: (m: Measure) => number | undefined) => {
    const xs = all.map(pick).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    return xs.length === 0 ? undefined : xs[Math.floor(xs.length / 2)];
  };
  return {
    ms: mid((m) => m.ms)!,
    cpuMs: mid((m) => m.cpuMs),
    maxRssMb: mid((m) => m.maxRssMb)!,
    findings: all[0]!.findings,
    outputBytes: all[0]!.outputBytes,
    outputMs: mid((m) => m.outputMs),
    rssRange: [Math.min(...all.map((m) => m.maxRssMb)), Math.max(...all.map((m) => m.maxRssMb))],
  };
}

function row(size: number) {
  const file = snapshotFile(size);
  const parse: Measure[] = [];
  const check: Measure[] = [];
  const before: Measure[] = [];
  for (let i = 0; i < runs; i++) {
    parse.push(run(runner, 'parse', file));
    // Alternate which build goes first, so neither always gets the quieter moment.
    const order = i % 2 === 0 ? ['check', 'before'] : ['before', 'check'];
    for (const which of order) {
      if (which === 'check') check.push(run(runner, 'check', file));
      else if (baselineRunner !== undefined) before.push(run(baselineRunner, 'check', file));
    }
  }
  // Every run of a build must write the same output; a baseline may differ only if its format did.
  const sizes = new Set([...check, ...before].map((m) => `${m.findings} ${m.outputBytes}`));
  const p = median(parse);
  const c = median(check);
  const b = before.length === 0 ? undefined : median(before);
  return { size, mb: statSync(file).size / 1e6, parse: p, check: c, ratio: c.ms / p.ms, before: b, sameOutput: sizes.size === 1 };
}

const div = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a / b);
const fmt = (n: number | undefined, d = 0, w = 8) => (n === undefined ? '-' : n.toFixed(d)).padStart(w);
console.log(`warden check benchmark (seed ${values.seed}, median of ${runs} runs, node ${process.version})`);
const small = row(Math.floor(users / 5));
const large = row(users);
console.log(
  '   accounts   file MB  parse ms  check ms   ratio  parse cpu  check cpu  cpu ratio  output ms  findings  parse RSS MB  check RSS MB',
);
for (const r of [small, large]) {
  console.log(
    `${fmt(r.size, 0, 11)}${fmt(r.mb, 1, 10)}${fmt(r.parse.ms, 0, 10)}${fmt(r.check.ms, 0, 10)}${fmt(r.ratio, 2)}` +
      `${fmt(r.parse.cpuMs, 0, 11)}${fmt(r.check.cpuMs, 0, 11)}${fmt(div(r.check.cpuMs, r.parse.cpuMs), 2, 11)}` +
      `${fmt(r.check.outputMs, 0, 11)}${fmt(r.check.findings ?? 0, 0, 10)}${fmt(r.parse.maxRssMb, 0, 14)}${fmt(r.check.maxRssMb, 0, 14)}`,
  );
}
const scaling = large.check.ms / small.check.ms;
console.log(`check vs bare parse at ${users} accounts: ${large.ratio.toFixed(2)}x (target <= 2.5x) ${large.ratio <= 2.5 ? 'OK' : 'OVER'}`);
console.log(`5x the data took ${scaling.toFixed(2)}x the time (target <= 6x) ${scaling <= 6 ? 'OK' : 'OVER'}`);

if (baselineRunner !== undefined) {
  console.log(`\nbaseline ${values.baseline}, its runs alternated with the ones above:`);
  console.log('   accounts  before ms   ratio  before cpu  cpu ratio  output ms  before RSS MB  after/before  cpu after/before  same output size');
  for (const r of [small, large]) {
    const b = r.before!;
    // Sizes only: the proof of identical output is test/unit/check-json-bytes.test.ts.
    console.log(
      `${fmt(r.size, 0, 11)}${fmt(b.ms, 0, 11)}${fmt(b.ms / r.parse.ms, 2)}${fmt(b.cpuMs, 0, 12)}${fmt(div(b.cpuMs, r.parse.cpuMs), 2, 11)}` +
        `${fmt(b.outputMs, 0, 11)}${fmt(b.maxRssMb, 0, 15)}${fmt(r.check.ms / b.ms, 2, 14)}${fmt(div(r.check.cpuMs, b.cpuMs), 2, 18)}` +
        `${(r.sameOutput ? 'yes' : 'NO').padStart(18)}`,
    );
  }
  const [after, before] = [large.check, large.before!];
  const mb = (m: Medians) => `${m.maxRssMb.toFixed(0)} MB (${m.rssRange[0].toFixed(0)}–${m.rssRange[1].toFixed(0)})`;
  // Above the baseline's median but inside its spread is not a measured increase.
  const verdict = after.maxRssMb <= before.maxRssMb ? 'OK' : after.maxRssMb <= before.rssRange[1] ? 'within the spread' : 'OVER';
  console.log(`peak RSS at ${users} accounts, median (range): ${mb(after)} vs ${mb(before)} before (target: no higher) ${verdict}`);
}

if (baselineRunner !== undefined && paired > 0) {
  const file = snapshotFile(users);
  const ratios: number[] = [];
  for (let i = 0; i < paired; i++) {
    const [after, before] = await Promise.all([runAsync(runner, 'check', file), runAsync(baselineRunner, 'check', file)]);
    ratios.push(after.ms / before.ms);
  }
  ratios.sort((a, b) => a - b);
  console.log(
    `\nthe two builds at the same time, ${paired} rounds at ${users} accounts: this build / baseline, median ` +
      `${ratios[Math.floor(paired / 2)]!.toFixed(2)}x (${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)})`,
  );
}
