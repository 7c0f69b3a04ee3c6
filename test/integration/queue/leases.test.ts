/**
 * Claims are leases (docs/architecture.md "A run's life"), tested with real
 * worker processes on a Redis database of the test's own (index 6: the test
 * flushes it, which on the shared database 0 would wipe everyone's keys):
 *
 * - a run longer than the lease, its job lost in a flush and re-enqueued while
 *   its worker still runs it: executed once, its lease renewed all along, the
 *   second delivery waiting for the lease and ending as a duplicate; the
 *   workers re-assert the schedulers the flush took;
 * - a run whose job stalled twice (two workers SIGKILLed mid-run): BullMQ
 *   fails the job, the worker says so (not "returned to the queue"), and
 *   reconcile settles the run: retried while it has attempts, which then succeeds.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileJob } from '../../../jobs/reconcile.job.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../support/db.js';
import { probeJob } from '../../support/queue-jobs.js';
import {
  cleanQueues,
  countLines,
  eventually,
  flushTransportDb,
  spawnWorkerChild,
  testTransport,
  type ChildConfig,
  type WorkerChild, killChildren } from '../../support/queue.js';

const OWN_DB = 6;
const registry = new JobRegistry({ definitions: [probeJob, reconcileJob] });

describe('leases, with worker processes', () => {
  let db: TestDatabase;
  let transport: ReturnType<typeof testTransport>;
  let children: WorkerChild[];
  let ledger: JobRunsLedger;

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'ACME_TOKEN', timezone: 'Australia/Sydney' });
    transport = testTransport(OWN_DB);
    children = [];
    ledger = new JobRunsLedger(db.db);
  });

  afterEach(async () => {
    await killChildren(children);
    await cleanQueues(transport, registry);
    await db.destroy();
  });

  const config = (extra: Partial<ChildConfig> = {}): ChildConfig => ({
    transport,
    databaseUrl: TEST_DATABASE_URL,
    schema: db.schema!,
    tenants: [{ name: 'acme', timeZone: 'Australia/Sydney' }],
    concurrency: 1,
    stalledIntervalMs: 500,
    lockDurationMs: 1000,
    ...extra,
  });

  const allOutput = () => children.map((c) => c.output()).join('\n');

  it('a run longer than the lease, re-enqueued after a flush while its worker runs it: executed once, the lease renewed, the schedulers back', async () => {
    const both = { schedule: '0 9 1 */3 *', scheduleIntervalMs: 500 };
    children = [spawnWorkerChild(config(both)), spawnWorkerChild(config(both))];
    await Promise.all(children.map((c) => c.waitFor(/^ready \d+$/m)));
    const queues = new QueueSet(transport, registry, {}, []);
    try {
      const id = await enqueue({ registry, ledger, dispatcher: queues }, 'probe', { sleepMs: 4000 }, { tenant: 'acme' });
      await eventually(() => Promise.resolve(countLines(allOutput(), new RegExp(`^started ${id} `)) === 1 ? true : undefined), 10_000, 'run started');
      const claimed = await db.db.selectFrom('job_runs').select(['started_at', 'lease_until']).where('idempotency_key', '=', id).executeTakeFirstOrThrow();

      // Redis loses everything; reconcile (here: its requeue) puts the run back while its worker still runs it.
      await flushTransportDb(transport);
      await queues.requeue((await ledger.get(id))!);

      const run = await eventually(async () => {
        const r = await ledger.get(id);
        return r?.status === 'succeeded' ? r : undefined;
      }, 15_000, 'the run to succeed');
      expect(run.attempts).toBe(1);
      // The second delivery found the run leased and waited; it ends as a duplicate, never executing.
      const job = await eventually(async () => {
        const j = await queues.queue('probe').getJob(id);
        return j?.finishedOn !== undefined ? j : undefined;
      }, 10_000, 'the second delivery to end');
      expect(job.returnvalue).toBe('duplicate');
      expect(countLines(allOutput(), new RegExp(`^started ${id} `))).toBe(1);
      // One line for the lock the flush took, not one per renewal.
      expect(countLines(allOutput(), /could not renew lock/)).toBeLessThanOrEqual(1);
      // Renewed: the last heartbeat came seconds after the claim, well past the first lease's end.
      const row = await db.db.selectFrom('job_runs').select(['heartbeat_at']).where('idempotency_key', '=', id).executeTakeFirstOrThrow();
      expect(row.heartbeat_at!.getTime()).toBeGreaterThan(claimed.lease_until!.getTime() + 1000);
      expect(row.heartbeat_at!.getTime() - claimed.started_at!.getTime()).toBeGreaterThanOrEqual(2500);

      // The schedulers the flush took are back, exactly one, from the workers' own timer.
      const schedulers = await eventually(async () => {
        const s = await queues.queue('probe').getJobSchedulers();
        return s.length > 0 ? s : undefined;
      }, 5000, 'the schedulers back');
      expect(schedulers.map((s) => [s.key, s.tz])).toEqual([['probe@acme', 'Australia/Sydney']]);
    } finally {
      await queues.close();
    }
    children.forEach((c) => c.proc.kill('SIGTERM'));
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);
  });

  it('a run whose job stalled twice is failed by BullMQ, reported as such, and reconcile retries it to success', async () => {
    const queues = new QueueSet(transport, registry, { attempts: 3 }, []);
    try {
      const id = await enqueue({ registry, ledger, dispatcher: queues }, 'probe', { sleepMs: 60_000 }, { tenant: 'acme' });
      // Two workers die mid-run, one after the other: the job stalls twice.
      for (let i = 0; i < 2; i++) {
        const victim = spawnWorkerChild(config());
        children.push(victim);
        await victim.waitFor(new RegExp(`^started ${id} `, 'm'), 20_000);
        victim.proc.kill('SIGKILL');
        await victim.exited;
      }
      const witness = spawnWorkerChild(config({ reconcile: true }));
      children.push(witness);
      await witness.waitFor(/stalled job failed: it stalled more than allowed/, 20_000);
      expect(witness.output()).not.toContain('stalled job returned to the queue');
      await eventually(async () => ((await queues.queue('probe').getJobState(id)) === 'failed' ? true : undefined), 10_000, 'the job failed');
      expect((await ledger.get(id))?.status).toBe('running');

      // The payload the run will be retried with: short this time (payloads are kept in the ledger).
      await db.db.updateTable('job_runs').set({ payload: JSON.stringify({ sleepMs: 10 }) }).where('idempotency_key', '=', id).execute();
      const rec = await enqueue({ registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
      const reconciled = await eventually(async () => {
        const r = await ledger.get(rec);
        return r?.status === 'succeeded' ? r : undefined;
      }, 20_000, 'reconcile');
      expect(reconciled.counts).toMatchObject({ retried: 1, failed: 0, requeued: 0 });
      const run = await eventually(async () => {
        const r = await ledger.get(id);
        return r?.status === 'succeeded' ? r : undefined;
      }, 20_000, 'the retried run');
      expect(run.counts.pid).toBe(witness.proc.pid);
      expect(countLines(witness.output(), new RegExp(`^started ${id} `))).toBe(1);
    } finally {
      await queues.close();
    }
  });

  it('reconcile fails a run whose job the queue failed once it has no attempts left, with the reason', async () => {
    const queues = new QueueSet(transport, registry, { attempts: 1 }, []);
    try {
      const id = await enqueue({ registry, ledger, dispatcher: queues }, 'probe', { sleepMs: 60_000 }, { tenant: 'acme' });
      for (let i = 0; i < 2; i++) {
        const victim = spawnWorkerChild(config({ attempts: 1 }));
        children.push(victim);
        await victim.waitFor(new RegExp(`^started ${id} `, 'm'), 20_000);
        victim.proc.kill('SIGKILL');
        await victim.exited;
      }
      const witness = spawnWorkerChild(config({ reconcile: true, attempts: 1 }));
      children.push(witness);
      await witness.waitFor(/stalled job failed: it stalled more than allowed/, 20_000);
      await eventually(async () => ((await queues.queue('probe').getJobState(id)) === 'failed' ? true : undefined), 10_000, 'the job failed');
      // A stalled job's re-delivery is the same attempt: the one allowed is used up.
      expect(await ledger.get(id)).toMatchObject({ status: 'running', attempts: 1 });
      const rec = await enqueue({ registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
      const reconciled = await eventually(async () => {
        const r = await ledger.get(rec);
        return r?.status === 'succeeded' ? r : undefined;
      }, 20_000, 'reconcile');
      expect(reconciled.counts).toMatchObject({ retried: 0, failed: 1 });
      expect(await ledger.get(id)).toMatchObject({ status: 'failed', error: 'the queue failed its job: job stalled more than allowable limit' });
    } finally {
      await queues.close();
    }
  });
});
