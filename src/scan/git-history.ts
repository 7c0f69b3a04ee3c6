/**
 * `warden scan --git-history`: every file content a git repository's history
 * holds, read through git itself, each distinct content (blob) once.
 *
 * `git log --all --reverse --date-order --raw` lists, commit by commit, the
 * blobs each commit added or changed and the path they had, every commit
 * after its parents (and otherwise by commit date, oldest first); the first
 * listing of a blob names it: **the first commit that added that content at
 * that path**, and its author date. A value leaked a year ago and removed
 * since is named by the commit that added it; content a branch added is named
 * by the branch's commit, not by the merge that brought it in. `git cat-file --batch`
 * then streams the blobs' bytes, which go through the same checks as a file
 * (binary, larger than 10 MB) and the same matcher.
 *
 * Only regular files' blobs are read (not symbolic links' targets, nor
 * submodules). Every ref counts (`--all`: branches, tags, the stash), not the
 * reflog: a commit no ref reaches any more is git's garbage, not history.
 */
import { spawn } from 'node:child_process';
import { InputError } from '../errors.js';
import { isBinary, matchLines, MAX_FILE_BYTES, type LineMatch, type ScanTally } from './content.js';
import type { NeedleMatcher } from './matcher.js';

/** A blob as history first shows it. */
export interface HistoryBlob {
  sha: string;
  /** Its path in the repository, `/`-separated. */
  path: string;
  /** The first commit that added it there (parents before children). */
  commit: string;
  /** That commit's author date, ISO 8601. */
  committedAt: string;
}

const REGULAR_MODES = new Set(['100644', '100755']);
const COMMIT_MARK = 'commit ';

/** What git said when it failed: its first line of stderr, else its exit status. */
class GitFailed extends Error {
  constructor(readonly args: readonly string[], stderr: string, code: number | null) {
    const line = stderr.split('\n').find((l) => l.trim() !== '')?.trim();
    super(`git ${args[0] ?? ''} failed: ${line ?? `exit status ${code}`}`);
  }
}

interface GitRun {
  stdout: AsyncIterable<Buffer>;
  /** Resolves when git has exited with 0; rejects with {@link GitFailed} otherwise. */
  done: Promise<void>;
  write(input: string): void;
  end(): void;
}

function git(cwd: string, args: readonly string[]): GitRun {
  // The repository is only read: no fsmonitor hook, and (below) no signature check, text conversion or diff driver,
  // each of which a repository's own config could point at a program.
  const child = spawn('git', ['-C', cwd, '-c', 'core.fsmonitor=false', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    if (stderr.length < 4096) stderr += c.toString('utf8');
  });
  // A reader that stopped early must not make git's EPIPE an unhandled error.
  child.stdin.on('error', () => {});
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new InputError('--git-history', 'needs git, and there is no git on PATH') : err),
    );
    child.on('close', (code) => (code === 0 ? resolve() : reject(new GitFailed(args, stderr, code))));
  });
  // Settled by whoever awaits it; a failure before then must not be unhandled.
  done.catch(() => {});
  return {
    stdout: child.stdout,
    done,
    write: (input) => child.stdin.write(input),
    end: () => child.stdin.end(),
  };
}

/**
 * The top folder of the git work tree `dir` is in, or undefined when git
 * finds none there (or refuses it, e.g. a repository another user owns:
 * `reason` then has git's own words).
 */
export async function gitTopLevel(dir: string, reason?: (said: string) => void): Promise<string | undefined> {
  const run = git(dir, ['rev-parse', '--show-toplevel']);
  const chunks: Buffer[] = [];
  for await (const chunk of run.stdout) chunks.push(chunk);
  try {
    await run.done;
  } catch (err) {
    if (!(err instanceof GitFailed)) throw err;
    reason?.(err.message);
    return undefined;
  }
  const top = Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
  return top === '' ? undefined : top;
}

/** Each blob of the history once, with the first commit that added it, in the order git listed them. */
export async function historyBlobs(top: string): Promise<HistoryBlob[]> {
  const run = git(top, ['log', '--all', '--reverse', '--date-order', '--no-renames', '--raw', '--no-abbrev', '-m', '--root', '-z', '--no-show-signature', '--no-textconv', '--no-ext-diff', `--format=${COMMIT_MARK}%H %aI`]);
  const blobs = new Map<string, HistoryBlob>();
  let commit = '';
  let committedAt = '';
  /** The raw line whose path is the next token, while one is awaited. */
  let pending: string | undefined;
  const take = (token: string) => {
    if (pending !== undefined) {
      // `:oldmode newmode oldsha newsha status`: the path follows, whatever it is called.
      const [, mode, , sha, status] = pending.slice(1).split(' ');
      pending = undefined;
      if (status !== 'D' && mode !== undefined && REGULAR_MODES.has(mode) && sha !== undefined && !blobs.has(sha)) {
        blobs.set(sha, { sha, path: token, commit, committedAt });
      }
      return;
    }
    const text = token.replace(/^\n/, '');
    if (text.startsWith(':')) pending = text;
    else if (text.startsWith(COMMIT_MARK)) [commit = '', committedAt = ''] = text.slice(COMMIT_MARK.length).split(' ');
  };
  let rest = Buffer.alloc(0);
  for await (const chunk of run.stdout) {
    let data = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    for (let nul = data.indexOf(0); nul !== -1; nul = data.indexOf(0)) {
      take(data.subarray(0, nul).toString('utf8'));
      data = data.subarray(nul + 1);
    }
    rest = Buffer.from(data);
  }
  if (rest.length > 0) take(rest.toString('utf8'));
  try {
    await run.done;
  } catch (err) {
    throw err instanceof GitFailed ? new InputError(top, err.message) : err;
  }
  return [...blobs.values()];
}

/** Calls `found` for each blob of `blobs` in which the matcher finds a needle; counts the rest. */
export async function scanBlobs(
  top: string,
  blobs: readonly HistoryBlob[],
  scan: { matcher: NeedleMatcher; buffer: Buffer; tally: ScanTally; found: (blob: HistoryBlob, matches: LineMatch[]) => void },
): Promise<void> {
  if (blobs.length === 0) return;
  const run = git(top, ['cat-file', '--batch']);
  run.write(blobs.map((b) => `${b.sha}\n`).join(''));
  run.end();
  const { buffer, tally } = scan;
  let next = 0;
  let header = '';
  /** Bytes of the current blob still to come, its trailing newline included; -1 while reading a header. */
  let remaining = -1;
  let size = 0;
  let filled = 0;
  let keep = false;
  const finish = () => {
    const blob = blobs[next++]!;
    if (!keep) tally.skipped.too_large++;
    else if (isBinary(buffer, size)) tally.skipped.binary++;
    else {
      tally.blobs++;
      const matches = matchLines(scan.matcher, buffer, size);
      if (matches.length > 0) scan.found(blob, matches);
    }
  };
  for await (const chunk of run.stdout) {
    let at = 0;
    while (at < chunk.length) {
      if (remaining === -1) {
        const nl = chunk.indexOf(10, at);
        header += chunk.subarray(at, nl === -1 ? chunk.length : nl).toString('latin1');
        if (nl === -1) break;
        at = nl + 1;
        const [, type, length] = header.split(' ');
        header = '';
        if (type === undefined || length === undefined) {
          // `SHA missing`: nothing follows (a shallow clone's history can be incomplete).
          next++;
          continue;
        }
        size = Number(length);
        keep = size <= MAX_FILE_BYTES;
        filled = 0;
        remaining = size + 1;
        continue;
      }
      const take = Math.min(remaining, chunk.length - at);
      if (keep) {
        const body = Math.min(take, size - filled);
        if (body > 0) chunk.copy(buffer, filled, at, at + body);
        filled += body;
      }
      at += take;
      remaining -= take;
      if (remaining === 0) {
        remaining = -1;
        finish();
      }
    }
  }
  try {
    await run.done;
  } catch (err) {
    throw err instanceof GitFailed ? new InputError(top, err.message) : err;
  }
}
