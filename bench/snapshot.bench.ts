/**
 * `npm run bench:snapshot`: the `omneo` part of a `warden snapshot` of a simulated
 * tenant of 20 000 accounts, gathered through the client over HTTP. The simulator
 * runs in its own process (`warden sim --users N`) so that the peak RSS measured
 * is the client's alone; each client configuration runs in a fresh process.
 *
 *   npm run bench:snapshot -- [--users 20000] [--seed bench] [--runs 3] [--scim-latency-ms 50]
 *
 * Prints, per configuration: wall time, peak RSS, and the requests the
 * simulator saw (from /__sim/stats), median of the runs. Then the same for
 * the directory part over the simulator's SCIM endpoint (`startIndex`/`count`
 * paging, later pages read ahead once `totalResults` is known), at the page
 * sizes the client's default `count` was chosen from: first as fast as the
 * simulator answers, then against a second simulator that waits
 * `--scim-latency-ms` before each answer, as a remote directory does (0: skip).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { readScimDirectory } from '../src/directory/scim-client.js';
import { OmneoClient } from '../src/omneo/client.js';
import { gatherOmneo } from '../src/omneo/gather.js';
import type { SimulatorStats } from '../src/omneo/simulator/server.js';
import { startSimProcess } from './sim-process.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '20000' },
    seed: { type: 'string', default: 'bench' },
    runs: { type: 'string', default: '3' },
    // Child modes: one gather (platform, or SCIM directory), printed as one JSON line.
    gather: { type: 'string' },
    scim: { type: 'string' },
    'page-size': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    'scim-latency-ms': { type: 'string', default: '50' },
  },
});

interface Measure {
  ms: number;
  maxRssMb: number;
  users: number;
  tokens: number;
  audits: number;
  jsonMb: number;
}

if (values.gather !== undefined) {
  const client = new OmneoClient({
    baseUrl: values.gather,
    token: 'sim-token',
    pageSize: Number(values['page-size']),
    concurrency: Number(values.concurrency),
  });
  const started = performance.now();
  const omneo = await gatherOmneo(client);
  const json = JSON.stringify(omneo);
  const ms = performance.now() - started;
  const m: Measure = {
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    users: omneo.users.length,
    tokens: omneo.tokens.length,
    audits: omneo.audits.length,
    jsonMb: json.length / 1e6,
  };
  console.log(JSON.stringify(m));
  process.exit(0);
}

if (values.scim !== undefined) {
  const started = performance.now();
  const people = await readScimDirectory(values.scim, {
    token: 'sim-token',
    pageSize: Number(values['page-size']),
    concurrency: Number(values.concurrency),
  });
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, people: people.length }));
  process.exit(0);
}

const users = Number(values.users);
const runs = Number(values.runs);
const scimLatencyMs = Number(values['scim-latency-ms']);
if (!Number.isInteger(users) || users < 1 || !Number.isInteger(runs) || runs < 1) {
  console.error('bench: --users and --runs must be positive integers');
  process.exit(2);
}
if (!Number.isInteger(scimLatencyMs) || scimLatencyMs < 0) {
  console.error('bench: --scim-latency-ms must be a whole number of milliseconds');
  process.exit(2);
}

const self = fileURLToPath(import.meta.url);

const simStarted = performance.now();
const sim = await startSimProcess(users, values.seed);
const { url, origin } = sim;
const stats = async () => (await (await fetch(`${origin}/__sim/stats`)).json()) as SimulatorStats;

try {
  console.log(`warden snapshot benchmark: ${users} accounts (seed ${values.seed}), median of ${runs} runs, node ${process.version}`);
  console.log(`simulator ready in ${((performance.now() - simStarted) / 1000).toFixed(1)} s`);
  console.log('page size  ahead       ms  client RSS MB  requests  (users / tokens / audits requests)  accounts  tokens  audits  JSON MB');
  for (const [pageSize, concurrency] of [
    [100, 1],
    [100, 4],
    [1000, 4],
  ] as const) {
    const all: (Measure & { requests: number; byRoute: string })[] = [];
    for (let i = 0; i < runs; i++) {
      const before = await stats();
      const { stdout } = await promisify(execFile)(process.execPath, [
        self,
        '--gather',
        url,
        '--page-size',
        String(pageSize),
        '--concurrency',
        String(concurrency),
      ]);
      const after = await stats();
      const delta = (route: string) =>
        Object.values(after.requests[route] ?? {}).reduce((a, b) => a + b, 0) -
        Object.values(before.requests[route] ?? {}).reduce((a, b) => a + b, 0);
      const byRoute = ['GET /api/v3/users', 'GET /api/v3/auth/access-tokens', 'GET /api/v3/audits'].map(delta).join(' / ');
      all.push({ ...(JSON.parse(stdout) as Measure), requests: after.total - before.total, byRoute });
    }
    all.sort((a, b) => a.ms - b.ms);
    const m = all[Math.floor(all.length / 2)]!;
    console.log(
      `${String(pageSize).padStart(9)}${String(concurrency).padStart(7)}${m.ms.toFixed(0).padStart(9)}${m.maxRssMb.toFixed(0).padStart(15)}` +
        `${String(m.requests).padStart(10)}  ${m.byRoute.padEnd(36)}${String(m.users).padStart(9)}${String(m.tokens).padStart(8)}` +
        `${String(m.audits).padStart(8)}${m.jsonMb.toFixed(1).padStart(9)}`,
    );
  }
  await scimTable(`SCIM directory (${users} accounts' roster)`, origin, stats);
  if (scimLatencyMs > 0) {
    const slow = await startSimProcess(users, values.seed, ['--latency-ms', String(scimLatencyMs)]);
    try {
      const slowStats = async () => (await (await fetch(`${slow.origin}/__sim/stats`)).json()) as SimulatorStats;
      await scimTable(`SCIM directory, ${scimLatencyMs} ms before each answer`, slow.origin, slowStats);
    } finally {
      slow.stop();
    }
  }
} finally {
  sim.stop();
}

/**
 * The SCIM client's read of the simulator's directory at each page size (`count`) and
 * read-ahead, each run in a fresh process; medians of `runs`. The simulator caps a page
 * at 1000 (src/omneo/simulator/scim.ts): asking 200 is what a directory capping at 200 gives.
 */
async function scimTable(title: string, origin: string, stats: () => Promise<SimulatorStats>): Promise<void> {
  console.log(`\n${title}\npage size  ahead       ms  client RSS MB  requests  people`);
  for (const [pageSize, concurrency] of [
    [100, 1],
    [100, 4],
    [200, 4],
    [500, 4],
    [1000, 1],
    [1000, 4],
  ] as const) {
    const all: { ms: number; maxRssMb: number; people: number; requests: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const before = await stats();
      const { stdout } = await promisify(execFile)(process.execPath, [
        self,
        '--scim',
        `${origin}/scim/v2`,
        '--page-size',
        String(pageSize),
        '--concurrency',
        String(concurrency),
      ]);
      const after = await stats();
      all.push({ ...(JSON.parse(stdout) as { ms: number; maxRssMb: number; people: number }), requests: after.total - before.total });
    }
    all.sort((a, b) => a.ms - b.ms);
    const m = all[Math.floor(all.length / 2)]!;
    console.log(
      `${String(pageSize).padStart(9)}${String(concurrency).padStart(7)}${m.ms.toFixed(0).padStart(9)}${m.maxRssMb.toFixed(0).padStart(15)}` +
        `${String(m.requests).padStart(10)}${String(m.people).padStart(8)}`,
    );
  }
}
