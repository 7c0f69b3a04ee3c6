/**
 * The chaos test of issue 8 (docs/architecture.md "A run's life": at-least-once
 * execution, exactly-once effects). Two worker processes, the simulator
 * answering each effect's call slower than the lease lasts, runs of two
 * effects each; then one worker is SIGKILLed mid-run and Redis (the test's
 * own database, index 7) is flushed; `reconcile` puts the lost work back.
 * At the end every run succeeded or failed with a reason, no effect was done
 * twice (the ledger's `run_effects` and the simulator's request count agree),
 * the schedules are back and the surviving worker drains cleanly.
 *
 * A Postgres connection cut through a TCP proxy and restored is the second
 * test: the workers survive it (the pool's error handlers) and every run ends once.
 */
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileJob } from '../../../jobs/reconcile.job.js';
import { listEffects } from '../../../src/db/run-effects.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { startSimulator, type Simulator } from '../../../src/omneo/simulator/server.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../support/db.js';
import { effectJob, probeJob } from '../../support/queue-jobs.js';
import { cleanQueues, countLines, eventually, flushTransportDb, spawnWorkerChild, testTransport, type ChildConfig, type WorkerChild, killChildren } from '../../support/queue.js';

const OWN_DB = 7;
const registry = new JobRegistry({ definitions: [probeJob, reconcileJob, effectJob], schedules: [{ job: 'probe', pattern: '0 9 1 */3 *' }] });

/** A TCP proxy to Postgres that the test can cut (every connection dropped, none accepted) and restore. */
async function startProxy(target: URL): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client).add(upstream);
        upstream.connect(Number(target.port || 5432), target.hostname);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  };
  await listen();
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  return { url: url.toString(), cut: stop, restore: listen, close: stop };
}

describe('chaos: killed workers, flushed Redis, a cut database', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let transport: ReturnType<typeof testTransport>;
  let children: WorkerChild[];
  let ledger: JobRunsLedger;

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'ACME_TOKEN', timezone: 'Australia/Sydney' });
    // Each effect's call takes longer than a lease (1.5 s): the holders must renew while they wait.
    sim = await startSimulator({ port: 0, latencyMs: 2500 });
    transport = testTransport(OWN_DB);
    children = [];
    ledger = new JobRunsLedger(db.db);
  });

  afterEach(async () => {
    await killChildren(children);
    await cleanQueues(transport, registry);
    await sim.close();
    await db.destroy();
  });

  const config = (databaseUrl: string): ChildConfig => ({
    transport,
    databaseUrl,
    schema: db.schema!,
    schedule: '0 9 1 */3 *',
    tenants: [{ name: 'acme', timeZone: 'Australia/Sydney' }],
    concurrency: 2,
    stalledIntervalMs: 500,
    lockDurationMs: 1500,
    scheduleIntervalMs: 1000,
    reconcile: true,
    effectUrl: `${sim.url}/users`,
  });

  /** Every run of the test final, every effect once: what both tests end with. */
  async function expectAccountedFor(runIds: readonly string[]): Promise<void> {
    const runs = await eventually(async () => {
      const all = await Promise.all(runIds.map((id) => ledger.get(id)));
      return all.every((r) => r?.status === 'succeeded' || r?.status === 'failed') ? all : undefined;
    }, 60_000, 'every run final');
    let rows = 0;
    let done = 0;
    for (const run of runs) {
      // Failed only with a reason.
      if (run!.status === 'failed') expect(run!.error).toBeTruthy();
      const effects = await listEffects(db.db, run!.id);
      expect(effects.map((e) => e.effect_key).sort()).toEqual(run!.status === 'succeeded' ? ['call:0', 'call:1'] : expect.any(Array));
      rows += effects.length;
      done += effects.filter((e) => e.status === 'done').length;
    }
    // One request per recorded effect at most (a worker may die between the intent and the request), and one per effect done.
    const requests = sim.stats().total;
    expect(requests).toBeLessThanOrEqual(rows);
    expect(requests).toBeGreaterThanOrEqual(done);
  }

  it('two workers, one SIGKILLed mid-run, Redis flushed: every run accounted for once, schedules back, no crash', async () => {
    children = [spawnWorkerChild(config(TEST_DATABASE_URL)), spawnWorkerChild(config(TEST_DATABASE_URL))];
    await Promise.all(children.map((c) => c.waitFor(/^ready \d+$/m)));
    const [victim, survivor] = children as [WorkerChild, WorkerChild];
    const queues = new QueueSet(transport, registry, {}, []);
    try {
      const runIds: string[] = [];
      for (let i = 0; i < 4; i++) runIds.push(await enqueue({ registry, ledger, dispatcher: queues }, 'effect', { effects: 2 }, { tenant: 'acme' }));
      // Mid-run: the victim is inside an effect's call (it takes 2.5 s).
      await victim.waitFor(/^started /m, 15_000);
      await new Promise((r) => setTimeout(r, 1000));
      victim.proc.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      await flushTransportDb(transport);

      // reconcile (itself gone with the flush, so enqueued by hand) puts the lost runs back.
      const rec = await enqueue({ registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
      await eventually(async () => ((await ledger.get(rec))?.status === 'succeeded' ? true : undefined), 20_000, 'reconcile');
      await expectAccountedFor(runIds);
      expect((await Promise.all(runIds.map((id) => ledger.get(id)))).every((r) => r?.status === 'succeeded')).toBe(true);
      // The victim's interrupted effects were not redone: no run was started by the survivor more than once.
      for (const id of runIds) expect(countLines(survivor.output(), new RegExp(`^started ${id} `))).toBeLessThanOrEqual(1);

      // The survivor re-created the schedules the flush took.
      const schedules = await eventually(async () => {
        const s = await queues.listSchedules();
        return s.every((x) => x.problem === null) ? s : undefined;
      }, 10_000, 'the schedules back');
      expect(schedules.map((s) => s.id)).toEqual(['probe@acme', 'reconcile@fleet']);
    } finally {
      await queues.close();
    }
    expect(survivor.proc.exitCode).toBeNull();
    survivor.proc.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  }, 90_000);

  it('a Postgres connection cut mid-run and restored: the holders lose their leases, the runs end once', async () => {
    const proxy = await startProxy(new URL(TEST_DATABASE_URL));
    try {
      children = [spawnWorkerChild(config(proxy.url)), spawnWorkerChild(config(proxy.url))];
      await Promise.all(children.map((c) => c.waitFor(/^ready \d+$/m)));
      const queues = new QueueSet(transport, registry, {}, []);
      try {
        const runIds: string[] = [];
        for (let i = 0; i < 4; i++) runIds.push(await enqueue({ registry, ledger, dispatcher: queues }, 'effect', { effects: 2 }, { tenant: 'acme' }));
        await Promise.race(children.map((c) => c.waitFor(/^started /m, 15_000)));
        await proxy.cut();
        // Longer than a lease: the holders cannot renew, and stop.
        await new Promise((r) => setTimeout(r, 3000));
        await proxy.restore();
        await expectAccountedFor(runIds);
      } finally {
        await queues.close();
      }
      for (const c of children) expect(c.proc.exitCode).toBeNull();
      children.forEach((c) => c.proc.kill('SIGTERM'));
      expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
