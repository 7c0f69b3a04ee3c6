/**
 * What `warden scan` does with one file's bytes, from the work tree or from
 * git's history alike: skip it when it is binary or too large, else find the
 * needles in it and say on which line each one starts.
 */
import type { NeedleMatcher } from './matcher.js';

/** Files (and blobs) larger than this are skipped and counted: 10 MB. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** A NUL byte in this many first bytes makes a file binary (git's own test): skipped and counted. */
export const BINARY_PROBE_BYTES = 8192;

/** One occurrence of a needle: which, where it starts (byte offset) and on which line (1-based). */
export interface LineMatch {
  needle: number;
  start: number;
  line: number;
}

/** Why a file was not searched, as the scan counts them. */
export type SkipReason = 'binary' | 'too_large' | 'not_regular';

/** What a scan counts and names besides its hits. */
export interface ScanTally {
  /** Files of the work trees and folders searched. */
  files: number;
  /** Distinct blobs of git's history searched (with `--git-history`). */
  blobs: number;
  skipped: Record<SkipReason, number>;
  /** Paths that could not be read, each with the system's error code (ENOENT, EACCES, ELOOP…). */
  unreadable: { path: string; error: string }[];
}

export function emptyTally(): ScanTally {
  return { files: 0, blobs: 0, skipped: { binary: 0, too_large: 0, not_regular: 0 }, unreadable: [] };
}

export function isBinary(buf: Buffer, length: number): boolean {
  return buf.subarray(0, Math.min(length, BINARY_PROBE_BYTES)).includes(0);
}

/**
 * The needles in `buf[0, length)` with their line numbers, in order of
 * their start. A line is what `\n` ends, as editors and `git grep` count.
 */
export function matchLines(matcher: NeedleMatcher, buf: Buffer, length: number): LineMatch[] {
  const starts: [needle: number, start: number][] = [];
  matcher.scan(buf, length, (needle, start) => starts.push([needle, start]));
  if (starts.length === 0) return [];
  starts.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const text = buf.subarray(0, length);
  const out: LineMatch[] = [];
  let line = 1;
  let counted = 0;
  for (const [needle, start] of starts) {
    for (let nl = text.indexOf(10, counted); nl !== -1 && nl < start; nl = text.indexOf(10, nl + 1)) line++;
    counted = Math.max(counted, start);
    out.push({ needle, start, line });
  }
  return out;
}
