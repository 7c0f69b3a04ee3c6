/**
 * Queue test support: a transport of the test's own (unique key prefix, and a
 * Redis database index when asked), clean-up of every key under it, and
 * worker child processes that run TypeScript through Vite's module runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { QueueTransport } from '../../src/queue/connection.js';
import { QueueSet } from '../../src/queue/fleet.js';
import type { JobRegistry } from '../../src/queue/registry.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A transport no other test uses. `db` picks a Redis logical database (for tests that FLUSHALL). */
export function testTransport(db?: number): QueueTransport {
  const url = new URL(TEST_REDIS_URL);
  if (db !== undefined) url.pathname = `/${db}`;
  return { url: url.toString(), prefix: `wtest-${randomBytes(5).toString('hex')}` };
}

/** Obliterates the registry's queues, then deletes any key left under the prefix. */
export async function cleanQueues(transport: QueueTransport, registry: JobRegistry): Promise<void> {
  const queues = new QueueSet(transport, registry, {}, []);
  try {
    await queues.obliterate();
  } finally {
    await queues.close();
  }
  const redis = new Redis(transport.url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${transport.prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Keys under the transport's prefix (to prove clean-up, or that FLUSHALL emptied it). */
export async function countKeys(transport: QueueTransport): Promise<number> {
  const redis = new Redis(transport.url);
  try {
    return (await redis.keys(`${transport.prefix}:*`)).length;
  } finally {
    redis.disconnect();
  }
}

/** What a worker child runs; see queue-worker.child.ts. */
export interface ChildConfig {
  transport: QueueTransport;
  databaseUrl: string;
  schema: string;
  /** Cron pattern for the probe job, per tenant. */
  schedule?: string;
  tenants: { name: string; timeZone: string }[];
  concurrency: number;
  stalledIntervalMs: number;
  lockDurationMs: number;
  drainTimeoutMs?: number;
  /** The fleet's schedulers re-assertion timer (FleetOptions.scheduleIntervalMs). @defaultValue the fleet's */
  scheduleIntervalMs?: number;
  /** Also runs `reconcile` (scheduled fleet-wide every five minutes). @defaultValue false */
  reconcile?: boolean;
  /** Also runs the `effect` job, which calls this URL once per effect (see queue-jobs.ts). @defaultValue not run */
  effectUrl?: string;
  /** Attempts per run. @defaultValue the fleet's */
  attempts?: number;
}

export interface WorkerChild {
  proc: ChildProcess;
  output(): string;
  /** Resolves with the first stdout line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const LAUNCHER = `
import { createServer, createServerModuleRunner } from 'vite';
const server = await createServer({ configFile: false, root: process.cwd(), logLevel: 'error',
  server: { middlewareMode: true, hmr: false, ws: false }, appType: 'custom',
  optimizeDeps: { noDiscovery: true, include: [] } });
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
await runner.import(process.env.WARDEN_CHILD_ENTRY);
`;

/** Ends the worker children a test left running (SIGKILL), and waits until each has exited. */
export async function killChildren(children: readonly WorkerChild[]): Promise<void> {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
}

export interface SpawnChildOptions {
  /** The module the child runs, given its config as JSON in `WARDEN_CHILD_CONFIG`. @defaultValue test/support/queue-worker.child.ts */
  entry?: string;
  /** @defaultValue `warn` */
  logLevel?: string;
}

/** A worker process running `entry` (from the TypeScript sources, through vite's module runner). */
export function spawnWorkerChild(config: ChildConfig | object, options: SpawnChildOptions = {}): WorkerChild {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', LAUNCHER], {
    cwd: root,
    env: {
      ...process.env,
      WARDEN_CHILD_ENTRY: options.entry ?? path.join(here, 'queue-worker.child.ts'),
      WARDEN_CHILD_CONFIG: JSON.stringify(config),
      LOG_LEVEL: options.logLevel ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    exited,
    output: () => out,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`child never printed ${String(pattern)}; output:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Empties the transport's logical Redis database (never db 0, which others share): what a FLUSHALL does to Warden. */
export async function flushTransportDb(transport: QueueTransport): Promise<void> {
  const redis = new Redis(transport.url);
  try {
    if ((redis.options.db ?? 0) === 0) throw new Error('refusing to flush the shared Redis database 0');
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** Lines of a child's output matching `pattern` (e.g. how often a run was started). */
export function countLines(output: string, pattern: RegExp): number {
  return output.split('\n').filter((l) => pattern.test(l)).length;
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
