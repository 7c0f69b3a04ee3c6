/** Runs the `warden` CLI in-process with its own streams and environment. */
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString('utf8') });
}

/**
 * @param env - the whole environment the CLI sees (nothing is inherited)
 * @param stdin - text on standard input; default empty
 */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<CliRun> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(['node', 'warden', ...args], { stdin: Readable.from([stdin]), stdout, stderr, env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
