/**
 * The fleet as real processes: two worker children on one Redis prefix and
 * one Postgres schema. A scheduler tick gives exactly one run; a worker
 * killed with SIGKILL mid-job has its job recovered (stalled) and completed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../support/db.js';
import { probeJob } from '../../support/queue-jobs.js';
import { cleanQueues, countKeys, eventually, spawnWorkerChild, testTransport, type ChildConfig, type WorkerChild, killChildren } from '../../support/queue.js';

const registry = new JobRegistry({ definitions: [probeJob] });

describe('worker processes', () => {
  let db: TestDatabase;
  let transport: ReturnType<typeof testTransport>;
  let children: WorkerChild[];

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'ACME_TOKEN', timezone: 'Australia/Sydney' });
    transport = testTransport();
    children = [];
  });

  afterEach(async () => {
    await killChildren(children);
    await cleanQueues(transport, registry);
    expect(await countKeys(transport)).toBe(0);
    await db.destroy();
  });

  const config = (extra: Partial<ChildConfig> = {}): ChildConfig => ({
    transport,
    databaseUrl: TEST_DATABASE_URL,
    schema: db.schema!,
    tenants: [{ name: 'acme', timeZone: 'Australia/Sydney' }],
    concurrency: 2,
    stalledIntervalMs: 500,
    lockDurationMs: 1000,
    ...extra,
  });

  it('two workers and a scheduler: every tick is exactly one run', async () => {
    children = [spawnWorkerChild(config({ schedule: '* * * * * *' })), spawnWorkerChild(config({ schedule: '* * * * * *' }))];
    await Promise.all(children.map((c) => c.waitFor(/^ready \d+$/m)));
    const ledger = new JobRunsLedger(db.db);
    await eventually(async () => {
      const done = (await ledger.listRecent(100)).filter((r) => r.status === 'succeeded');
      return done.length >= 4 ? done : undefined;
    }, 20_000, 'four scheduled runs');
    children.forEach((c) => c.proc.kill('SIGTERM'));
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);

    const rows = await db.db.selectFrom('job_runs').selectAll().execute();
    const ticks = rows.map((r) => r.scheduled_for.getTime());
    expect(new Set(ticks).size).toBe(rows.length);
    expect(rows.every((r) => r.kind === 'probe' && r.tenant === 'acme' && r.attempts === 1)).toBe(true);
    expect(ticks.every((t) => t % 1000 === 0)).toBe(true);
    // Both processes upserted the same scheduler: one, in the tenant's time zone.
    const queues = new QueueSet(transport, registry, {}, []);
    try {
      const schedulers = await queues.queue('probe').getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.tz])).toEqual([['probe@acme', 'Australia/Sydney']]);
    } finally {
      await queues.close();
    }
  });

  it('a worker killed with SIGKILL mid-job: another worker recovers the stalled job and completes it', async () => {
    const victim = spawnWorkerChild(config({ concurrency: 1 }));
    children.push(victim);
    const [, victimPid] = await victim.waitFor(/^ready (\d+)$/m);
    const ledger = new JobRunsLedger(db.db);
    const queues = new QueueSet(transport, registry, { attempts: 3, backoffMs: 50 }, []);
    let runId: string;
    try {
      runId = await enqueue({ registry, ledger, dispatcher: queues }, 'probe', { sleepMs: 2500 }, { tenant: 'acme' });
    } finally {
      await queues.close();
    }
    await victim.waitFor(new RegExp(`^started ${runId} attempt 1$`, 'm'));
    expect((await ledger.get(runId))?.status).toBe('running');
    victim.proc.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');

    const rescuer = spawnWorkerChild(config({ concurrency: 1 }));
    children.push(rescuer);
    const [, rescuerPid] = await rescuer.waitFor(/^ready (\d+)$/m);
    const run = await eventually(async () => {
      const r = await ledger.get(runId);
      return r?.status === 'succeeded' ? r : undefined;
    }, 20_000, 'the recovered run to succeed');
    expect(rescuer.output()).toMatch(new RegExp(`^started ${runId}`, 'm'));
    expect(run.counts.pid).toBe(Number(rescuerPid));
    expect(run.counts.pid).not.toBe(Number(victimPid));
    expect(await db.db.selectFrom('job_runs').select('id').execute()).toHaveLength(1);
  });
});
