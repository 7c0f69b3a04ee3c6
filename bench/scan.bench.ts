/**
 * `npm run bench:scan`: `warden scan` against `git grep -F` for the same
 * needle strings, on the same generated tree, each in fresh processes
 * (median of runs, after one warm-up run of each so that both read from the
 * page cache).
 *
 * The tree: FILES text files (~10 KB each, ~100 MB in all) in a git
 * repository the bench makes in a temporary folder, holding SECRETS known
 * values of a tenant, once each, as written, base64-encoded or URL-encoded.
 * The tenant and its secrets are in a throwaway schema of the bench Postgres,
 * sealed under a key of the bench's own. `git grep` is given every form
 * `warden scan` looks for (src/scan/needles.ts `encodingsOf`), one `-e` each.
 * Also timed: `warden scan --help`, the command's start-up alone (loading the
 * scan command's modules: the app, the ledger's; `warden --help` no longer loads
 * any command), and in this process the scan's core alone (walk, read, match)
 * without the command's start-up and ledger.
 *
 *   npm run bench:scan -- [--files 10000] [--secrets 20] [--runs 5]
 *   (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 *
 * Target (issue 14): `warden scan` within 3× of `git grep -F`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addCurrentVersion } from '../src/db/secret-versions.repository.js';
import { addTenant } from '../src/db/tenants.repository.js';
import { newValue } from '../src/rotation/secret-values.js';
import { emptyTally, MAX_FILE_BYTES } from '../src/scan/content.js';
import { NeedleMatcher } from '../src/scan/matcher.js';
import { encodingsOf, needlesOf } from '../src/scan/needles.js';
import { scanTree } from '../src/scan/tree-files.js';
import { sealSecret } from '../src/secrets/secret-box.js';
import { BENCH_DATABASE_URL, openBenchLedger } from './bench-setup.js';

const { values: args } = parseArgs({
  options: { files: { type: 'string', default: '10000' }, secrets: { type: 'string', default: '20' }, runs: { type: 'string', default: '5' } },
});
const FILES = Number(args.files);
const SECRETS = Number(args.secrets);
const RUNS = Number(args.runs);
if (![FILES, SECRETS, RUNS].every((n) => Number.isInteger(n) && n >= 1) || SECRETS > FILES) {
  console.error('bench: --files, --secrets and --runs must be positive integers, --secrets at most --files');
  process.exit(2);
}
const TENANT = 'bench';
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'warden.js');

/** A deterministic stream of words, so every run of the bench reads the same tree. */
function wordsFrom(seed: number): () => string {
  const words = 'const let return import export function config value host port user password token client server retry timeout the of and to in is for'.split(' ');
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) & 0x7fffffff;
    return words[x % words.length]!;
  };
}

/** The tenant's values: Warden's own kind (base64url text), API tokens, and imported ones URL encoding changes. */
function secretValues(n: number): { name: string; kind: 'webhook-signing' | 'barcode' | 'api-token' | 'machine-password'; value: Buffer }[] {
  return Array.from({ length: n }, (_, i) => {
    const kinds = ['webhook-signing', 'barcode', 'api-token', 'machine-password'] as const;
    const kind = kinds[i % kinds.length]!;
    const value =
      kind === 'api-token'
        ? Buffer.from(`omneo_${randomBytes(20).toString('hex')}`)
        : i % 3 === 0
          ? Buffer.from(`${randomBytes(24).toString('base64')}&k=${i}`)
          : newValue(kind);
    return { name: `secret-${i}`, kind, value };
  });
}

/** Writes the tree: FILES files of ~10 KB in folders of 100, value i planted once in file i × FILES/SECRETS, in form i mod 3. */
function makeTree(root: string, secrets: readonly { value: Buffer }[]): void {
  const next = wordsFrom(42);
  const every = Math.floor(FILES / secrets.length);
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, `pkg${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    let size = 0;
    while (size < 10_000) {
      const n = 4 + (size % 9);
      const line = `${'  '.repeat(size % 3)}${Array.from({ length: n }, next).join(' ')};`;
      lines.push(line);
      size += line.length + 1;
    }
    const s = i % every === 0 ? secrets[i / every] : undefined;
    if (s !== undefined) {
      const form = (i / every) % 3;
      const text = s.value.toString('utf8');
      lines[20] = form === 0 ? `  secret: "${text}"` : form === 1 ? `  secret_b64: ${s.value.toString('base64')}` : `  url: https://hooks.example/cb?key=${encodeURIComponent(text)}`;
    }
    writeFileSync(join(dir, `module${i}.ts`), `${lines.join('\n')}\n`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const ledger = await openBenchLedger('scan_bench');
  const tree = mkdtempSync(join(tmpdir(), 'warden-scan-bench-'));
  try {
    const key = randomBytes(32);
    const secrets = secretValues(SECRETS);
    await addTenant(ledger.db, { name: TENANT, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'BENCH_OMNEO_TOKEN' });
    for (const s of secrets) await addCurrentVersion(ledger.db, { tenant: TENANT, name: s.name, kind: s.kind, seal: (aad) => sealSecret(s.value, key, aad) });

    const made = timed(() => makeTree(tree, secrets));
    const git = (...a: string[]) => execFileSync('git', ['-C', tree, ...a], { stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin', HOME: tree, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com' } });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'bench tree');
    const mb = Number(execFileSync('du', ['-sm', '--exclude=.git', tree], { encoding: 'utf8' }).split('\t')[0]);

    const needles = [...new Set(secrets.flatMap((s) => encodingsOf(s.value).map(([, b]) => b.toString('latin1'))))];
    const grepArgs = ['-C', tree, 'grep', '-F', '-I', '-c', ...needles.flatMap((n) => ['-e', n])];
    const env = { PATH: process.env.PATH ?? '/usr/bin', DATABASE_URL: BENCH_DATABASE_URL, WARDEN_DB_SCHEMA: ledger.schema, WARDEN_SECRET_KEY: key.toString('base64'), LOG_LEVEL: 'warn' };
    let grepFiles = 0;
    let wardenHits = 0;
    const grep = () => {
      const r = spawnSync('git', grepArgs, { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`git grep exited ${r.status}: ${r.stderr}`);
      grepFiles = r.stdout.split('\n').filter(Boolean).length;
    };
    const scan = () => {
      const r = spawnSync(process.execPath, [BIN, 'scan', tree, '--tenant', TENANT, '--format', 'json'], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
      if (r.status !== 3) throw new Error(`warden scan exited ${r.status}: ${r.stderr}`);
      wardenHits = (JSON.parse(r.stdout) as { hits: unknown[] }).hits.length;
    };
    /** Files the core found a value in. */
    let coreHits = 0;
    const help = () => {
      const r = spawnSync(process.execPath, [BIN, 'scan', '--help'], { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`warden scan --help exited ${r.status}`);
    };
    const core = () => {
      const list = needlesOf(secrets.map((s) => s.value));
      const matcher = new NeedleMatcher(list);
      const tally = emptyTally();
      coreHits = 0;
      scanTree(tree, { matcher, buffer: Buffer.allocUnsafe(MAX_FILE_BYTES + 1), tally, visited: new Set(), found: () => coreHits++ });
    };

    // Warm-up: the page cache, git's index, node's file cache.
    grep();
    scan();
    core();
    const grepMs: number[] = [];
    const scanMs: number[] = [];
    const coreMs: number[] = [];
    const helpMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      grepMs.push(timed(grep));
      scanMs.push(timed(scan));
      coreMs.push(timed(core));
      helpMs.push(timed(help));
    }
    const rate = (ms: number) => Math.round(FILES / (ms / 1000)).toLocaleString('en').replaceAll(',', ' ');
    const g = median(grepMs);
    const s = median(scanMs);
    const c = median(coreMs);
    const h = median(helpMs);
    console.log(`warden scan benchmark: ${FILES} files, ${mb} MB, ${SECRETS} secrets (${needles.length} needle strings), median of ${RUNS} runs, node ${process.version} (tree made in ${Math.round(made)} ms)`);
    console.log('                                         ms     files/s  found');
    console.log(`git grep -F (fresh process)         ${g.toFixed(0).padStart(7)}  ${rate(g).padStart(10)}  ${grepFiles} files`);
    console.log(`warden scan (fresh process)         ${s.toFixed(0).padStart(7)}  ${rate(s).padStart(10)}  ${wardenHits} hits`);
    console.log(`warden scan core (walk+read+match)  ${c.toFixed(0).padStart(7)}  ${rate(c).padStart(10)}  ${coreHits} files`);
    console.log(`warden scan --help (its start-up)   ${h.toFixed(0).padStart(7)}`);
    const ratio = s / g;
    console.log(`warden scan vs git grep -F: ${ratio.toFixed(2)}x (target <= 3x) ${ratio <= 3 ? 'OK' : 'OVER'}; the core alone ${(c / g).toFixed(2)}x`);
    if (wardenHits !== SECRETS || grepFiles !== SECRETS) console.log(`WARNING: expected ${SECRETS} hits and files, found ${wardenHits} and ${grepFiles}`);
  } finally {
    rmSync(tree, { recursive: true, force: true });
    await ledger.close();
  }
}

await main();
