// A service lost while `warden worker` runs (docs/operations.md "Services
// down"), through the real binary: the worker talks to Redis or Postgres
// through a local TCP proxy that the test cuts and restores. The worker does
// not crash, logs one line when the service goes and one when it is back (no
// stack trace per retry), works again afterwards, and honours SIGTERM during
// an outage within the drain window.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../jobs/index.js';
import { addTenant } from '../../src/db/tenants.repository.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import { JobRegistry } from '../../src/queue/registry.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.js';
import { cleanQueues, testTransport } from '../support/queue.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { compileCli, removeCli, nonJsonLines, startWarden, warden } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-outage-'));
const cwd = dir;
let db: TestDatabase;
let sim: Simulator;
let env: Record<string, string>;
const transport = testTransport();
const redisTarget = new URL(transport.url);
const pgTarget = new URL(TEST_DATABASE_URL);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  compileCli();
  // Each request takes a while, so a run is still working when the connection is cut.
  sim = await startSimulator({ port: 0, latencyMs: 1_500 });
  db = await createTestDatabase('postgres');
  await addTenant(db.db, { name: 'acme', baseUrl: sim.url, tokenEnv: 'ACME_OMNEO_TOKEN' });
  env = {
    DATABASE_URL: TEST_DATABASE_URL,
    WARDEN_DB_SCHEMA: db.schema!,
    ACME_OMNEO_TOKEN: sim.token,
    REDIS_URL: transport.url,
    WARDEN_QUEUE_PREFIX: transport.prefix!,
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_OUTBOX: join(dir, 'outbox'),
  };
}, 180_000);

afterAll(async () => {
  await cleanQueues(transport, new JobRegistry({ definitions: jobs }));
  await db?.destroy();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

/** One run of allowlist-audit (it reads only the ledger), waited for, from the command line with direct connections. */
async function oneRun(): Promise<string> {
  const r = await warden(['run', 'allowlist-audit', '--tenant', 'acme', '--wait', '--timeout', '60s', '--format', 'json'], env, { cwd, timeoutMs: 90_000 });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { status: string }).status;
}

describe('a worker that loses a service', () => {
  it('Redis: one line per outage, work resumes, SIGTERM during an outage exits within the drain window', async () => {
    const proxy = await startTcpProxy({ host: redisTarget.hostname, port: Number(redisTarget.port || 6379) });
    const viaProxy = new URL(transport.url);
    viaProxy.port = String(proxy.port);
    const worker = startWarden(['worker', '--queues', 'allowlist-audit'], { ...env, REDIS_URL: viaProxy.toString() }, { cwd });
    try {
      await worker.waitFor(/"msg":"fleet started"/);
      await proxy.cut();
      await worker.waitFor(/"msg":"Redis unreachable, pausing"/);
      // Several reconnection attempts fail meanwhile: none of them is logged again.
      await sleep(4_000);
      await proxy.restore();
      await worker.waitFor(/"msg":"Redis back, resuming"/);
      expect(await oneRun()).toBe('succeeded');
      expect(worker.logged('Redis unreachable, pausing')).toBe(1);
      expect(worker.logged('Redis back, resuming')).toBe(1);
      expect(worker.logged('worker error')).toBe(0);
      expect(nonJsonLines(worker.stderr())).toEqual([]);

      await proxy.cut();
      await worker.waitFor(/"msg":"Redis unreachable, pausing"[\s\S]*"msg":"Redis unreachable, pausing"/);
      const signalled = Date.now();
      worker.proc.kill('SIGTERM');
      const { code, at } = await worker.exited;
      // No job is running here, so there is nothing to drain: it need not wait for Redis (nor for the drain window).
      expect(at - signalled).toBeLessThan(10_000);
      expect(code).toBe(0);
      expect(worker.stderr()).toContain('"result":"redis down","msg":"fleet closed"');
      expect(worker.logged('Redis unreachable, pausing')).toBe(2);
      expect(nonJsonLines(worker.stderr())).toEqual([]);
    } finally {
      worker.proc.kill('SIGKILL');
      await proxy.close();
    }
  }, 120_000);

  it('Postgres, mid-run: no crash, one line per outage, and the worker runs jobs again once it is back', async () => {
    const proxy = await startTcpProxy({ host: pgTarget.hostname, port: Number(pgTarget.port || 5432) });
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.port = String(proxy.port);
    const worker = startWarden(['worker', '--queues', 'stale-accounts,allowlist-audit'], { ...env, DATABASE_URL: viaProxy.toString() }, { cwd });
    try {
      await worker.waitFor(/"msg":"fleet started"/);
      const run = await warden(['run', 'stale-accounts', '--tenant', 'acme', '--format', 'json'], env, { cwd });
      expect(run.code, run.stderr).toBe(0);
      const id = (JSON.parse(run.stdout) as { id: string }).id;
      // The run is working (waiting on the simulator) when the connection goes.
      const started = Date.now();
      while ((await db.db.selectFrom('job_runs').select('status').where('idempotency_key', '=', id).executeTakeFirst())?.status !== 'running') {
        if (Date.now() - started > 30_000) throw new Error(`run ${id} never started; worker stderr: ${worker.stderr().slice(-2000)}`);
        await sleep(50);
      }
      await proxy.cut();
      await worker.waitFor(/"msg":"Postgres connection lost; runs that need it fail and are retried"/);
      await sleep(3_000);
      await proxy.restore();
      expect(await oneRun()).toBe('succeeded');
      await worker.waitFor(/"msg":"Postgres back"/);
      expect(worker.proc.exitCode).toBeNull();
      expect(worker.logged('Postgres connection lost; runs that need it fail and are retried')).toBe(1);
      expect(worker.logged('Postgres back')).toBe(1);
      expect(nonJsonLines(worker.stderr())).toEqual([]);

      worker.proc.kill('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    } finally {
      worker.proc.kill('SIGKILL');
      await proxy.close();
    }
  }, 120_000);
});
