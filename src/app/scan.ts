/**
 * `warden scan`'s action (docs/operations.md "Scanning for leaked secrets"):
 * look through files, and with `gitHistory` through every commit's blobs, for
 * the exact values of a tenant's secrets that Warden holds, and record each
 * line found as a LEAK-01 finding (src/rules/observed/leak-01-secret-in-file.ts).
 *
 * The values are held only while needed: the current, pending and previous
 * versions are opened, turned into needles (src/scan/needles.ts) and a
 * matcher, the files are scanned, and the needles, the matcher's grams and
 * the read buffer are zeroed in a `finally`, before anything is recorded.
 * Nothing returned, logged or recorded holds a value or a line's text: a hit
 * is a path, a line, a commit, a secret's name, kind and version label, and
 * an encoding.
 *
 * A scan is a run: one `job_runs` row of kind `scan`, written with the
 * findings in one transaction, already finished (no worker ever takes it).
 * It resolves the open LEAK-01 findings it could have found again and did not:
 * those under the roots it read, of files on disk, and with `gitHistory` those
 * of the histories it read. A scan of another folder leaves them alone.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { SecretVersion } from '../db/database.js';
import { inTransaction, type Db } from '../db/executor.js';
import { listFindings, recordFindings } from '../db/findings.repository.js';
import { endAttempt, recordRunningRun } from '../db/job-runs.repository.js';
import { listVersions } from '../db/secret-versions.repository.js';
import { requireTenant } from '../db/tenants.repository.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { openVersion } from '../rotation/secret-values.js';
import { evaluateObserved } from '../rules/engine.js';
import { leak01, type LeakHit } from '../rules/observed/leak-01-secret-in-file.js';
import { emptyTally, MAX_FILE_BYTES, type LineMatch, type ScanTally } from '../scan/content.js';
import { gitTopLevel, historyBlobs, scanBlobs } from '../scan/git-history.js';
import { NeedleMatcher } from '../scan/matcher.js';
import { dropNeedles, needlesOf, type Needle } from '../scan/needles.js';
import { scanTree } from '../scan/tree-files.js';
import type { Keyring } from '../secrets/secret-box.js';
import { tenantName } from './tenant-input.js';

/** The `job_runs.kind` of a scan. */
export const SCAN_RUN_KIND = 'scan';

export interface ScanDeps {
  db: Db;
  /** The keys the secret versions open with. */
  keyring(): Keyring;
  log?: Logger;
  /** @defaultValue the system clock */
  now?: () => Date;
}

export interface ScanInput {
  tenant: string;
  /** Folders, git work trees or files, as given. */
  paths: readonly string[];
  /** Also read every commit's blobs of the repositories the paths are in. @defaultValue false */
  gitHistory?: boolean;
  /** What relative paths are relative to. @defaultValue the process's working folder */
  cwd?: string;
}

export interface ScanResult extends ScanTally {
  tenant: string;
  /** The absolute paths read, as the findings name them. */
  roots: string[];
  /** The repositories (top folders) whose history was read. */
  histories: string[];
  /** Every hit, in path, commit, line order: never a value, nor the line's text. */
  hits: LeakHit[];
  /** The `job_runs` row of the scan, and what it did to the ledger's LEAK-01 findings. */
  run: { id: number; created: number; persisting: number; resolved: number };
}

/** The paths as absolute ones, each checked to exist: a bad one is an input error naming it, before anything is opened. */
function resolveRoots(paths: readonly string[], cwd: string): string[] {
  if (paths.length === 0) throw new InputError('PATH', 'name at least one folder or file to scan');
  const roots: string[] = [];
  for (const given of paths) {
    const root = path.resolve(cwd, given);
    try {
      statSync(root);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(given, code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or folder' : `cannot be read (${code ?? 'error'})`);
    }
    if (!roots.includes(root)) roots.push(root);
  }
  return roots;
}

/** The repositories the roots are in, once each. */
async function historiesOf(roots: readonly string[], given: readonly string[]): Promise<string[]> {
  const tops: string[] = [];
  for (const [i, root] of roots.entries()) {
    const dir = statSync(root).isDirectory() ? root : path.dirname(root);
    let said = '';
    const top = await gitTopLevel(dir, (reason) => (said = reason));
    if (top === undefined) throw new InputError(given[i] ?? root, `is not in a git work tree, and --git-history reads a repository's history (${said})`);
    const resolved = path.resolve(top);
    if (!tops.includes(resolved)) tops.push(resolved);
  }
  return tops;
}

/** The versions a leak of matters: every one not yet retired (a previous one is still accepted during its overlap). */
async function versionsToFind(db: Db, tenant: string): Promise<SecretVersion[]> {
  const versions = (await listVersions(db, tenant)).filter((v) => v.label !== 'retired');
  if (versions.length === 0) {
    throw new InputError('--tenant', `tenant ${JSON.stringify(tenant)} has no secrets in Warden's store: there is nothing to look for (warden secrets add)`);
  }
  return versions;
}

/** Whether `file` is `root` or under it. */
const within = (file: string, root: string) => file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * The hits of one file's matches. Where one form of a value is the start of
 * another (base64 without padding, and with it) and both start at one place,
 * the longer one is the hit.
 */
function hitsOf(file: string, matches: readonly LineMatch[], where: { commit: string | null; committedAt: string | null }, needles: readonly Needle[], versions: readonly SecretVersion[]): LeakHit[] {
  const best = new Map<string, { needle: Needle; encoding: string; line: number; version: SecretVersion }>();
  for (const m of matches) {
    const needle = needles[m.needle]!;
    for (const owner of needle.owners) {
      const version = versions[owner.value]!;
      const key = `${version.id}@${m.start}`;
      const held = best.get(key);
      if (held === undefined || held.needle.bytes.length < needle.bytes.length) best.set(key, { needle, encoding: owner.encoding, line: m.line, version });
    }
  }
  const seen = new Set<string>();
  const hits: LeakHit[] = [];
  for (const b of best.values()) {
    const key = `${b.line}\0${b.version.id}\0${b.encoding}`;
    if (seen.has(key)) continue;
    seen.add(key);
    hits.push({
      path: file,
      line: b.line,
      commit: where.commit,
      committed_at: where.committedAt,
      secret: b.version.name,
      kind: b.version.kind,
      version: b.version.label,
      encoding: b.encoding,
    });
  }
  return hits;
}

function compareHits(a: LeakHit, b: LeakHit): number {
  const key = (h: LeakHit) => [h.path, h.commit ?? '', String(h.line).padStart(10, '0'), h.secret, h.version, h.encoding].join('\0');
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Reads the roots (and histories) with the tenant's values; the values are zeroed before it returns or throws. */
async function readAll(
  versions: readonly SecretVersion[],
  keyring: Keyring,
  roots: readonly string[],
  histories: readonly string[],
): Promise<{ hits: LeakHit[]; tally: ScanTally }> {
  const values: Buffer[] = [];
  let needles: Needle[];
  try {
    for (const v of versions) values.push(openVersion(v, keyring));
    needles = needlesOf(values);
  } finally {
    for (const v of values) v.fill(0);
  }
  const matcher = new NeedleMatcher(needles);
  const buffer = Buffer.allocUnsafe(MAX_FILE_BYTES + 1);
  const tally = emptyTally();
  const hits: LeakHit[] = [];
  try {
    const visited = new Set<string>();
    const onDisk = { commit: null, committedAt: null };
    for (const root of roots) {
      scanTree(root, { matcher, buffer, tally, visited, found: (file, matches) => hits.push(...hitsOf(file, matches, onDisk, needles, versions)) });
    }
    for (const top of histories) {
      const blobs = await historyBlobs(top);
      await scanBlobs(top, blobs, {
        matcher,
        buffer,
        tally,
        found: (blob, matches) =>
          hits.push(...hitsOf(path.join(top, ...blob.path.split('/')), matches, { commit: blob.commit, committedAt: blob.committedAt }, needles, versions)),
      });
    }
  } finally {
    matcher.clear();
    dropNeedles(needles);
    buffer.fill(0);
  }
  return { hits: hits.sort(compareHits), tally };
}

/**
 * Scans the paths for the tenant's secrets, records the findings and the run,
 * and says what it found. Bad input (no path, a path that does not exist, an
 * unknown tenant, a tenant without secrets, `--git-history` outside a git work
 * tree) is an InputError before any value is opened or anything is written.
 */
export async function scanForLeaks(deps: ScanDeps, input: ScanInput): Promise<ScanResult> {
  const started = deps.now?.() ?? new Date();
  const roots = resolveRoots(input.paths, input.cwd ?? process.cwd());
  const tenant = (await requireTenant(deps.db, tenantName(input.tenant.trim(), '--tenant'))).name;
  const histories = input.gitHistory === true ? await historiesOf(roots, input.paths) : [];
  const versions = await versionsToFind(deps.db, tenant);
  deps.log?.info({ tenant, roots: roots.length, histories: histories.length, versions: versions.length }, 'scan started');

  const { hits, tally } = await readAll(versions, deps.keyring(), roots, histories);
  const now = deps.now?.() ?? new Date();
  const findings = evaluateObserved(leak01, hits, tenant, now.getTime());

  const outcome = await inTransaction(deps.db, async (trx) => {
    const runKey = `${SCAN_RUN_KIND}:${tenant}:${randomUUID()}`;
    const run = await recordRunningRun(trx, { kind: SCAN_RUN_KIND, tenant, runKey, payload: { roots, git_history: input.gitHistory === true }, startedAt: started });
    // What this scan could have seen again: files on disk under its roots, and the histories it read.
    const open = await listFindings(trx, { tenant, state: 'open', rules: [leak01.id], at: now });
    const inScope = open.filter((f) => {
      const file = f.evidence['path'];
      if (typeof file !== 'string') return false;
      return f.evidence['commit'] === null || f.evidence['commit'] === undefined ? roots.some((r) => within(file, r)) : histories.some((t) => within(file, t));
    });
    const recorded = await recordFindings(trx, { tenant, runId: run.id, rules: [leak01.id], findings, at: now, resolveOnly: inScope.map((f) => f.fingerprint) });
    const counts = {
      hits: hits.length,
      findings: findings.length,
      created: recorded.created.length,
      persisting: recorded.persisting.length,
      resolved: recorded.resolved.length,
      files: tally.files,
      blobs: tally.blobs,
      skipped_binary: tally.skipped.binary,
      skipped_too_large: tally.skipped.too_large,
      skipped_not_regular: tally.skipped.not_regular,
      unreadable: tally.unreadable.length,
    };
    await endAttempt(trx, runKey, { status: 'succeeded', counts, error: null });
    return { id: run.id, created: recorded.created.length, persisting: recorded.persisting.length, resolved: recorded.resolved.length };
  });
  deps.log?.info(
    { tenant, run: outcome.id, hits: hits.length, files: tally.files, blobs: tally.blobs, skipped: tally.skipped, unreadable: tally.unreadable.length, created: outcome.created, resolved: outcome.resolved },
    'scan finished',
  );
  return { tenant, roots, histories, hits, ...tally, run: outcome };
}
