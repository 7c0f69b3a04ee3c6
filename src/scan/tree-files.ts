/**
 * The files of a folder or a git work tree, as `warden scan` reads them: every
 * file under the root (tracked, untracked and ignored alike: a leaked value in
 * an ignored `.env` is still on disk), except what is under `.git`.
 *
 * - A symbolic link to a file is read (it is a file of the tree); one to a
 *   folder is not followed (it could loop, or leave the tree) and is counted
 *   with the FIFOs, sockets and devices as `not_regular`, none of which is
 *   ever opened (opening a FIFO waits for a writer).
 * - A path that cannot be read (a dangling link, a loop of links, a file or
 *   folder without permission) is counted and named with its error code, and
 *   the walk goes on.
 *
 * Reads are synchronous into one buffer the caller owns: a scan is a batch
 * of many small files, and this was the fastest way measured to read them.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { isBinary, matchLines, MAX_FILE_BYTES, type LineMatch, type ScanTally } from './content.js';
import type { NeedleMatcher } from './matcher.js';

/** Reports the needles found in one file (never called for a file without any). */
export type FileMatches = (file: string, matches: LineMatch[]) => void;

export interface TreeScan {
  matcher: NeedleMatcher;
  /** At least {@link MAX_FILE_BYTES} + 1 bytes: each file is read into it. */
  buffer: Buffer;
  tally: ScanTally;
  /** Files already read (roots may overlap): each is read once. */
  visited: Set<string>;
  found: FileMatches;
}

/** The error code of a failed system call, as the tally names it. */
export function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : 'read error';
}

/** Reads a file into `buffer`: its length, or `too_large`. Throws the system's error. */
function readFile(file: string, buffer: Buffer): number | 'too_large' {
  // O_NONBLOCK: a file that became a FIFO since it was looked at must not hold the scan up.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (fstatSync(fd).size > MAX_FILE_BYTES) return 'too_large';
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length === buffer.length) break;
    }
    // It grew while being read.
    return length > MAX_FILE_BYTES ? 'too_large' : length;
  } finally {
    closeSync(fd);
  }
}

function scanFile(file: string, scan: TreeScan): void {
  if (scan.visited.has(file)) return;
  scan.visited.add(file);
  let length: number | 'too_large';
  try {
    length = readFile(file, scan.buffer);
  } catch (err) {
    scan.tally.unreadable.push({ path: file, error: errorCode(err) });
    return;
  }
  if (length === 'too_large') {
    scan.tally.skipped.too_large++;
    return;
  }
  if (isBinary(scan.buffer, length)) {
    scan.tally.skipped.binary++;
    return;
  }
  scan.tally.files++;
  const matches = matchLines(scan.matcher, scan.buffer, length);
  if (matches.length > 0) scan.found(file, matches);
}

/**
 * What a path leads to, links followed: a file is read, a folder walked only
 * when it is a root (a link to a folder is not followed), anything else counted.
 */
function follow(entry: string, scan: TreeScan, isRoot: boolean): void {
  let target;
  try {
    target = statSync(entry);
  } catch (err) {
    scan.tally.unreadable.push({ path: entry, error: errorCode(err) });
    return;
  }
  if (target.isFile()) scanFile(entry, scan);
  else if (target.isDirectory() && isRoot) walk(entry, scan);
  else scan.tally.skipped.not_regular++;
}

function walk(dir: string, scan: TreeScan): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    scan.tally.unreadable.push({ path: dir, error: errorCode(err) });
    return;
  }
  // Name order, so that output and findings come out the same run after run.
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const dirent of entries) {
    if (dirent.name === '.git') continue;
    const entry = path.join(dir, dirent.name);
    if (dirent.isDirectory()) walk(entry, scan);
    else if (dirent.isFile()) scanFile(entry, scan);
    else if (dirent.isSymbolicLink()) follow(entry, scan, false);
    else scan.tally.skipped.not_regular++;
  }
}

/** Reads every file under `root` (an absolute path to a folder or a file that exists). */
export function scanTree(root: string, scan: TreeScan): void {
  follow(root, scan, true);
}
