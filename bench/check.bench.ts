/**
 * `npm run bench`: the cost of `warden check` against a bare JSON.parse of the
 * same file, at two sizes, each measured in fresh processes (median of runs).
 *
 *   npm run bench -- [--users 100000] [--seed bench] [--runs 3]
 *
 * Targets (issue 2): check within 3x of the bare parse; 5x the data in no more
 * than 6x the time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { syntheticTenant } from '../src/omneo/simulator/synthetic-tenant.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    seed: { type: 'string', default: 'bench' },
    runs: { type: 'string', default: '3' },
  },
});
const users = Number(values.users);
const runs = Number(values.runs);
if (!Number.isInteger(users) || users < 5 || !Number.isInteger(runs) || runs < 1) {
  console.error('bench: --users must be an integer >= 5 and --runs >= 1');
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, '..', '..', 'bench', '.data');
const runner = join(here, 'check-run.js');

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
  maxRssMb: number;
  findings?: number;
}

function measure(mode: 'parse' | 'check', file: string): Measure {
  const all: Measure[] = [];
  for (let i = 0; i < runs; i++) {
    all.push(JSON.parse(execFileSync(process.execPath, [runner, mode, file], { encoding: 'utf8' })) as Measure);
  }
  all.sort((a, b) => a.ms - b.ms);
  return all[Math.floor(all.length / 2)]!;
}

function row(size: number) {
  const file = snapshotFile(size);
  const parse = measure('parse', file);
  const check = measure('check', file);
  return { size, mb: statSync(file).size / 1e6, parse, check, ratio: check.ms / parse.ms };
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(8);
console.log(`warden check benchmark (seed ${values.seed}, median of ${runs} runs, node ${process.version})`);
const small = row(Math.floor(users / 5));
const large = row(users);
console.log('   accounts   file MB  parse ms  check ms   ratio  findings  parse RSS MB  check RSS MB');
for (const r of [small, large]) {
  console.log(
    `${fmt(r.size).padStart(11)}${fmt(r.mb, 1).padStart(10)}${fmt(r.parse.ms).padStart(10)}${fmt(r.check.ms).padStart(10)}` +
      `${fmt(r.ratio, 2)}${fmt(r.check.findings ?? 0).padStart(10)}${fmt(r.parse.maxRssMb).padStart(14)}${fmt(r.check.maxRssMb).padStart(14)}`,
  );
}
const scaling = large.check.ms / small.check.ms;
console.log(`check vs bare parse at ${users} accounts: ${large.ratio.toFixed(2)}x (target <= 3x) ${large.ratio <= 3 ? 'OK' : 'OVER'}`);
console.log(`5x the data took ${scaling.toFixed(2)}x the time (target <= 6x) ${scaling <= 6 ? 'OK' : 'OVER'}`);
