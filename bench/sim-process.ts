/**
 * A `warden sim` of a synthetic tenant in a process of its own, so that a
 * benchmark's memory and CPU figures are the client's alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SimProcess {
  /** The API root, e.g. `http://127.0.0.1:41234/api/v3`. */
  url: string;
  /** The server root (SCIM, `/__sim/stats`). */
  origin: string;
  process: ChildProcess;
  stop(): void;
}

/**
 * Starts the simulator with `users` accounts and resolves once it listens.
 * @param args - more `warden sim` flags (e.g. `--profiles`, `--rate-limit`, `--latency-ms`)
 */
export async function startSimProcess(users: number, seed: string, args: readonly string[] = []): Promise<SimProcess> {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'warden.js');
  const child = spawn(process.execPath, [cli, 'sim', '--users', String(users), '--seed', seed, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = / at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`warden sim exited with ${code}`)));
  });
  return { url, origin: new URL(url).origin, process: child, stop: () => void child.kill('SIGTERM') };
}
