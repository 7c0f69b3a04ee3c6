/** What a command talks to, so tests can run the CLI in-process with their own streams. */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { processEnvironment, type Environment } from '../environment.js';

export interface CliIo {
  stdin: Readable;
  /** Results only (a table, a JSON document): logs go to stderr, so `--format json` always parses. */
  stdout: Writable & { isTTY?: boolean; columns?: number };
  /** Errors, warnings and the app's log lines. */
  stderr: Writable;
  /** The environment, read only through src/config.ts (`loadConfig`, `readVariable`). */
  env: Environment;
}

export const processIo = (): CliIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: processEnvironment(),
});

/** Exit statuses of `warden`; src/cli/main.ts maps each error class to one of them. */
export const EXIT = {
  ok: 0,
  /** An unexpected failure (a bug, or infrastructure that did not answer). */
  failure: 1,
  /** Bad input: a flag, file or variable. Nothing was changed. */
  input: 2,
  /** `check --fail-on` matched a finding; `scan` found a secret. */
  findings: 3,
  /** A row asked for by id does not exist (NotFoundError). */
  notFound: 4,
  /** The row's state does not allow the step (InvalidTransitionError). */
  conflict: 5,
} as const;

export async function readAll(stream: Readable): Promise<string> {
  return (await readBytes(stream)).toString('utf8');
}

/** The stream's exact bytes (what a signature covers: decoding and re-encoding could change them). */
export async function readBytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Writes pieces in order, waiting whenever the stream asks to (backpressure). */
export async function writeAll(stream: Writable, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) {
    if (!stream.write(piece)) await once(stream, 'drain');
  }
  await write(stream, '');
}

export function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
