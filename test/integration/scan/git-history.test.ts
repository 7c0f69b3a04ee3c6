// git's history as `warden scan --git-history` reads it (src/scan/git-history.ts), with the real git:
// each blob once, named by the first commit that added it (a branch's commit, not the merge), paths
// as git has them (spaces, quotes, a newline), deletions and symbolic links left out, blobs over
// 10 MB and binary ones counted, and the bytes of each blob matched.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyTally, MAX_FILE_BYTES } from '../../../src/scan/content.js';
import { gitTopLevel, historyBlobs, scanBlobs, type HistoryBlob } from '../../../src/scan/git-history.js';
import { NeedleMatcher } from '../../../src/scan/matcher.js';
import { needlesOf } from '../../../src/scan/needles.js';

const SECRET = 'history-secret-0123456789-abcdefghij';
let repo: string;
const commits: Record<string, string> = {};

function git(date: string, ...args: string[]): string {
  const who = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin', HOME: repo, ...who, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } }).trim();
}

function commit(name: string, date: string): void {
  git(date, 'add', '-A');
  git(date, 'commit', '-qm', name);
  commits[name] = git(date, 'rev-parse', 'HEAD');
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'warden-history-'));
  git('2025-01-01T00:00:00Z', 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'a b "c".txt'), `line one\n${SECRET}\n`);
  writeFileSync(join(repo, 'new\nline.txt'), 'nothing\n');
  symlinkSync(SECRET, join(repo, 'link'));
  commit('root', '2025-01-01T00:00:00Z');
  // A branch adds content; main moves on; the merge brings the branch's content in.
  git('2025-02-01T00:00:00Z', 'checkout', '-q', '-b', 'topic');
  writeFileSync(join(repo, 'topic.txt'), `x\ny\nkey=${SECRET}\n`);
  commit('topic', '2025-02-01T00:00:00Z');
  git('2025-03-01T00:00:00Z', 'checkout', '-q', 'main');
  writeFileSync(join(repo, 'main.txt'), 'main\n');
  commit('main', '2025-03-01T00:00:00Z');
  // Dated before its parents (a skewed clock): git's date order alone would list it before the branch's commit.
  git('2025-01-15T00:00:00Z', 'merge', '-q', '--no-ff', '-m', 'merge', 'topic');
  commits['merge'] = git('2025-01-15T00:00:00Z', 'rev-parse', 'HEAD');
  // Too large and binary blobs, then everything deleted but main.txt.
  writeFileSync(join(repo, 'big.txt'), Buffer.alloc(MAX_FILE_BYTES + 1, 'b'));
  writeFileSync(join(repo, 'logo.png'), Buffer.concat([Buffer.from([0x89, 0, 0]), Buffer.from(SECRET)]));
  commit('assets', '2025-05-01T00:00:00Z');
  git('2025-06-01T00:00:00Z', 'rm', '-q', 'a b "c".txt', 'topic.txt', 'big.txt', 'logo.png', 'link', 'new\nline.txt');
  commit('clean', '2025-06-01T00:00:00Z');
}, 60_000);

afterAll(() => {
  if (repo !== undefined) rmSync(repo, { recursive: true, force: true });
});

describe('git history', () => {
  it('finds the work tree\'s top folder from inside it, and none outside a repository', async () => {
    expect(await gitTopLevel(repo)).toBe(repo);
    let said = '';
    const outside = mkdtempSync(join(tmpdir(), 'warden-no-git-'));
    try {
      expect(await gitTopLevel(outside, (reason) => (said = reason))).toBeUndefined();
      expect(said).toMatch(/^git rev-parse failed: fatal: not a git repository/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('lists each regular file\'s blob once, named by the first commit that added it and its author date', async () => {
    const blobs = await historyBlobs(repo);
    const byPath = (p: string) => blobs.filter((b) => b.path === p).map((b) => [b.commit, b.committedAt]);
    expect(byPath('a b "c".txt')).toEqual([[commits['root'], '2025-01-01T00:00:00+00:00']]);
    expect(byPath('new\nline.txt')).toEqual([[commits['root'], '2025-01-01T00:00:00+00:00']]);
    // The branch's commit, not the merge that brought it into main.
    expect(byPath('topic.txt')).toEqual([[commits['topic'], '2025-02-01T00:00:00+00:00']]);
    expect(byPath('main.txt')).toEqual([[commits['main'], '2025-03-01T00:00:00+00:00']]);
    expect(byPath('big.txt')).toHaveLength(1);
    // A symbolic link's target is not a file's content.
    expect(byPath('link')).toEqual([]);
    expect(new Set(blobs.map((b) => b.sha)).size).toBe(blobs.length);
    expect(blobs.map((b) => b.commit)).not.toContain(commits['merge']);
  });

  it('matches every blob\'s bytes, counting the binary and the too large ones', async () => {
    const blobs = await historyBlobs(repo);
    const needles = needlesOf([Buffer.from(SECRET)]);
    const tally = emptyTally();
    const found: [HistoryBlob, number[]][] = [];
    await scanBlobs(repo, blobs, { matcher: new NeedleMatcher(needles), buffer: Buffer.alloc(MAX_FILE_BYTES + 1), tally, found: (b, m) => found.push([b, m.map((x) => x.line)]) });
    expect(found.map(([b, lines]) => [b.path, b.commit, lines])).toEqual([
      ['a b "c".txt', commits['root'], [2]],
      ['topic.txt', commits['topic'], [3]],
    ]);
    expect(tally).toMatchObject({ blobs: blobs.length - 2, skipped: { binary: 1, too_large: 1, not_regular: 0 }, files: 0 });
  }, 60_000);
});
