/** Runs the `warden` CLI in-process with its own streams and environment. */
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { TEST_SECRET_KEY } from './db.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Streams for `main(argv, io)` whose output can be read back; nothing is inherited. */
export function captureIo(env: NodeJS.ProcessEnv = {}, stdin = ''): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdin: Readable.from([stdin]), stdout, stderr, env, out: () => out, err: () => err };
}

/**
 * @param env - the whole environment the CLI sees (nothing is inherited)
 * @param stdin - text on standard input; default empty
 */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<CliRun> {
  // Without a data folder or a key, Warden would make ./.warden/secret.key in the repository:
  // tests on Postgres share the suite's fixed key instead.
  const given = 'WARDEN_SECRET_KEY' in env || 'WARDEN_DATA_DIR' in env ? env : { ...env, WARDEN_SECRET_KEY: TEST_SECRET_KEY };
  const io = captureIo(given, stdin);
  const code = await main(['node', 'warden', ...args], io);
  return { code, stdout: io.out(), stderr: io.err() };
}
