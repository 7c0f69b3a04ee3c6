/**
 * Redis loses everything; Postgres does not. After the Redis database is
 * flushed, `reconcile` re-creates the schedulers and re-enqueues the queued
 * runs, which then complete.
 *
 * FLUSHALL would empty every logical database of the shared Redis (other
 * developers' and tests' keys included), so the test uses a database of its
 * own (index 5) and flushes that one with FLUSHDB: for Warden's keys it is
 * the same loss.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileJob } from '../../../jobs/reconcile.job.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { Fleet, QueueSet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { probeJob } from '../../support/queue-jobs.js';
import { cleanQueues, countKeys, eventually, testTransport } from '../../support/queue.js';

const FLUSHED_DB = 5;

describe('reconcile after Redis lost its data', () => {
  const registry = new JobRegistry({
    definitions: [probeJob, reconcileJob],
    schedules: [{ job: 'probe', pattern: '0 9 1 */3 *' }],
  });
  const tenants = [
    { name: 'acme', timeZone: 'Australia/Sydney' },
    { name: 'globex', timeZone: 'Europe/Paris' },
  ];
  let db: TestDatabase;
  let transport: ReturnType<typeof testTransport>;
  const fleets: Fleet[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    for (const t of tenants) await addTenant(db.db, { name: t.name, baseUrl: 'http://127.0.0.1:1', tokenEnv: 'T', timezone: t.timeZone });
    transport = testTransport(FLUSHED_DB);
  });

  afterEach(async () => {
    for (const f of fleets.splice(0)) await f.close();
    await cleanQueues(transport, registry);
    await db.destroy();
  });

  it('restores the schedulers and the queued work, and the work completes', async () => {
    const ledger = new JobRunsLedger(db.db);
    const queues = new QueueSet(transport, registry, {}, tenants);
    let runIds: string[];
    try {
      expect(await queues.ensureSchedules()).toBe(3);
      runIds = [
        await enqueue({ registry, ledger, dispatcher: queues }, 'probe', {}, { tenant: 'acme' }),
        await enqueue({ registry, ledger, dispatcher: queues }, 'probe', { sleepMs: 1 }, { tenant: 'globex' }),
      ];
      expect(await queues.queue('probe').getJobCounts('wait')).toEqual({ wait: 2 });
    } finally {
      await queues.close();
    }

    const redis = new Redis(transport.url);
    try {
      expect(redis.options.db).toBe(FLUSHED_DB);
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }
    expect(await countKeys(transport)).toBe(0);

    const log = createLogger({ level: 'silent' });
    const base = { transport, registry, ledger, deps: {}, log, tenants, backoffMs: 20 };
    // Only reconcile runs, and nothing upserts at start-up: the schedulers must come back through reconcile.
    fleets.push(await Fleet.start({ ...base, queues: ['reconcile'], upsertSchedules: false }));
    const reconcileRun = await enqueue({ registry, ledger, dispatcher: fleets[0]!.queues }, 'reconcile', {}, { tenant: null });
    const done = await eventually(async () => {
      const r = await ledger.get(reconcileRun);
      return r?.status === 'succeeded' ? r : undefined;
    });
    expect(done.counts).toEqual({ schedulers: 3, requeued: 2, retried: 0, failed: 0, unknown: 0 });

    const probeQueue = fleets[0]!.queues.queue('probe');
    const schedulers = await probeQueue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.tz, s.pattern]).sort()).toEqual([
      ['probe@acme', 'Australia/Sydney', '0 9 1 */3 *'],
      ['probe@globex', 'Europe/Paris', '0 9 1 */3 *'],
    ]);
    expect((await fleets[0]!.queues.queue('reconcile').getJobSchedulers()).map((s) => s.key)).toEqual(['reconcile@fleet']);
    const waiting = await probeQueue.getJobs(['wait']);
    expect(waiting.map((j) => j.id).sort()).toEqual([...runIds].sort());

    // A second reconcile finds nothing missing: re-enqueueing is idempotent.
    const again = await enqueue({ registry, ledger, dispatcher: fleets[0]!.queues }, 'reconcile', {}, { tenant: null });
    const second = await eventually(async () => {
      const r = await ledger.get(again);
      return r?.status === 'succeeded' ? r : undefined;
    });
    expect(second.counts).toEqual({ schedulers: 3, requeued: 0, retried: 0, failed: 0, unknown: 0 });

    fleets.push(await Fleet.start({ ...base, queues: ['probe'], upsertSchedules: false }));
    for (const id of runIds) {
      await eventually(async () => ((await ledger.get(id))?.status === 'succeeded' ? true : undefined), 20_000, `run ${id}`);
    }
    expect(await ledger.listUnfinished()).toEqual([]);
  });
});
