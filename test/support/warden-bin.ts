/**
 * The real binary (node bin/warden.js) in a child process, with exactly the
 * environment given (plus PATH): what an operator or a process manager sees,
 * real signals and real process exits included.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
/**
 * A private copy of bin/warden.js over a private build (under test-artifacts/, inside the
 * repository so that node_modules resolves): another test file compiling dist/ at the
 * same time cannot hand a child process a half-written module.
 */
const TREE = join(ROOT, 'test-artifacts', `bin-${process.pid}-${randomBytes(3).toString('hex')}`);
export const BIN = join(TREE, 'bin/warden.js');

/** Compiles the CLI into this file's own tree (tsc emits even when an unrelated file has a type error). */
export function compileCli(): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(TREE, 'dist')], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    // reported by the existence check
  }
  if (!existsSync(join(TREE, 'dist/src/cli/main.js'))) throw new Error('the CLI did not compile');
  mkdirSync(join(TREE, 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'bin/warden.js'), BIN);
}

/** Removes the private build. */
export function removeCli(): void {
  rmSync(TREE, { recursive: true, force: true });
}

export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `warden args…` to its end; fails the test when it outlives `timeoutMs`.
 * `stdin`, when given, is written to the child's standard input, which is then closed.
 */
export function warden(args: string[], env: Record<string, string>, options: { cwd: string; timeoutMs?: number; stdin?: string | Uint8Array }): Promise<BinResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH ?? '/usr/bin', NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`warden ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A long-running `warden` (a worker) whose stderr is read as it comes. */
export interface RunningWarden {
  proc: ChildProcess;
  stderr(): string;
  /** Log lines (stderr) whose `msg` is `msg`. */
  logged(msg: string): number;
  /** Resolves once stderr has a line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name) and when it came. */
  exited: Promise<{ code: number | string; at: number }>;
}

export function startWarden(args: string[], env: Record<string, string>, options: { cwd: string }): RunningWarden {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH ?? '/usr/bin', NO_COLOR: '1', ...env } });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  proc.stdout.resume();
  const exited = new Promise<{ code: number | string; at: number }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code: code ?? signal ?? -1, at: Date.now() })),
  );
  return {
    proc,
    stderr: () => stderr,
    logged: (msg) => stderr.split('\n').filter((l) => l.includes(`"msg":${JSON.stringify(msg)}`)).length,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (pattern.test(stderr)) {
            clearInterval(poll);
            resolve();
          } else if (Date.now() - started > timeoutMs || proc.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`no ${pattern} on stderr in ${timeoutMs} ms (exit ${proc.exitCode}); stderr: ${stderr.slice(-3000)}`));
          }
        }, 50);
      }),
    exited,
  };
}

/** Every stderr line is a pino JSON line: no stack trace, no console dump. */
export function nonJsonLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
}
