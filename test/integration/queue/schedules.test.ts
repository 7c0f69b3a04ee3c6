/**
 * Schedules are watched (docs/operations.md "Schedules"): every scheduler has
 * exactly one next job, even after fast re-upserts from several processes at
 * once; a process whose upsert meets a tick another process's worker has just
 * taken keeps that scheduler and goes on; `warden schedules` (the real binary)
 * lists each with its time zone and next fire time and flags one with no
 * scheduler or no next job (exit 1); a
 * daily schedule fires once a day across both daylight-saving changes of
 * Europe/Berlin, ticks driven by BullMQ's `startDate` and promoted by hand:
 * in autumn at the first 02:30 (summer time) only, in spring at 03:30 (the
 * 02:30 that does not exist is not skipped).
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobs } from '../../../jobs/index.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { Fleet, jobOptionsFor, QueueSet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../support/db.js';
import { probeJob } from '../../support/queue-jobs.js';
import { cleanQueues, eventually, testTransport } from '../../support/queue.js';
import { ROOT, compileCli, removeCli, warden as wardenBin } from '../../support/warden-bin.js';

afterAll(removeCli);

const tenants = [
  { name: 'acme', timeZone: 'Australia/Sydney' },
  { name: 'globex', timeZone: 'Europe/Berlin' },
];

/** The real binary, logging only warnings (test/support/warden-bin.ts). */
const warden = (args: string[], env: Record<string, string>) => wardenBin(args, { LOG_LEVEL: 'warn', ...env }, { cwd: ROOT, timeoutMs: 30_000 });

interface Listed {
  id: string;
  job: string;
  tenant: string | null;
  time_zone: string;
  pattern: string;
  next: string | null;
  next_jobs: number | null;
  problem: string | null;
}

describe('schedules', () => {
  const registry = new JobRegistry({ definitions: jobs });
  let db: TestDatabase;
  let transport: ReturnType<typeof testTransport>;

  beforeAll(() => {
    // A private build (test/support/warden-bin.ts): another file compiling dist/ meanwhile cannot break it.
    compileCli();
  }, 180_000);

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    for (const t of tenants) await addTenant(db.db, { name: t.name, baseUrl: 'http://127.0.0.1:1', tokenEnv: 'T', timezone: t.timeZone });
    transport = testTransport();
  });

  afterEach(async () => {
    await cleanQueues(transport, registry);
    await cleanQueues(transport, new JobRegistry({ definitions: [probeJob] }));
    await db.destroy();
  });

  it('fast re-upserts from several processes at once leave each scheduler exactly one next job', async () => {
    const sets = [0, 1, 2].map(() => new QueueSet(transport, registry, {}, tenants));
    try {
      await Promise.all(sets.flatMap((s) => [s.ensureSchedules(), s.ensureSchedules(), s.ensureSchedules()]));
      for (let i = 0; i < 3; i++) await Promise.all(sets.map((s) => s.ensureSchedules()));
      const listed = await sets[0]!.listSchedules();
      // Every scheduled tenant job for two tenants, and reconcile once for the fleet.
      const tenantJobs = jobs.filter((j) => j.schedule !== undefined && j.scope === 'tenant').length;
      expect(tenantJobs).toBe(9);
      expect(listed).toHaveLength(tenantJobs * 2 + 1);
      expect(listed.filter((s) => s.problem !== null || s.nextJobs !== 1)).toEqual([]);
    } finally {
      await Promise.all(sets.map((s) => s.close()));
    }
  });

  it("a scheduler whose tick another process's worker has just taken is kept as it is, not an error that stops the worker", async () => {
    // Two processes start at once: A's worker takes the tick while B, which read the clock a moment
    // earlier, upserts the same scheduler for that tick. The state B meets is made here by hand,
    // the job moved from delayed to active as BullMQ's moveToActive does before the worker adds the
    // next iteration; with a daily schedule B's clock is before the tick, as in the race.
    const [a, b] = [0, 1].map(() => new QueueSet(transport, registry, {}, tenants)) as [QueueSet, QueueSet];
    try {
      await a.ensureSchedules();
      const [target] = await a.listSchedules();
      const q = a.queue(target!.job);
      const tick = (await q.getJobs(['delayed'])).find((j) => j.repeatJobKey === target!.id)!;
      const redis = new Redis(transport.url);
      try {
        await redis.multi().zrem(q.keys.delayed!, tick.id!).lpush(q.keys.active!, tick.id!).exec();
      } finally {
        redis.disconnect();
      }

      const busy: string[] = [];
      b.onSchedulerBusy = (id) => busy.push(id);
      const planned = await b.ensureSchedules();
      expect(busy).toEqual([target!.id]);
      const listed = await b.listSchedules();
      expect(listed).toHaveLength(planned);
      // Only the taken tick's scheduler waits for its worker to add the next iteration.
      expect(listed.filter((s) => s.problem !== null).map((s) => s.id)).toEqual([target!.id]);
      expect(await tick.getState()).toBe('active');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('warden schedules lists every schedule with its zone and next fire time, and flags the broken ones (exit 1)', async () => {
    const env = {
      DATABASE_URL: `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}`,
      REDIS_URL: transport.url,
      WARDEN_QUEUE_PREFIX: transport.prefix!,
    };
    const queues = new QueueSet(transport, registry, {}, tenants);
    try {
      await queues.ensureSchedules();
      const healthy = await warden(['schedules', '--format', 'json'], env);
      expect(healthy.stderr).toBe('');
      expect(healthy.code).toBe(0);
      const listed = JSON.parse(healthy.stdout) as Listed[];
      const digest = listed.find((s) => s.id === 'digest@globex')!;
      expect(digest).toMatchObject({ job: 'digest', tenant: 'globex', time_zone: 'Europe/Berlin', pattern: '0 8 * * 1', next_jobs: 1, problem: null });
      expect(new Date(digest.next!).getTime()).toBeGreaterThan(Date.now());
      expect(listed.find((s) => s.id === 'reconcile@fleet')).toMatchObject({ tenant: null, time_zone: 'UTC', next_jobs: 1 });

      // One scheduler loses its next job (as a partial loss of Redis data would), another is gone altogether.
      const digestQueue = queues.queue('digest');
      const next = (await digestQueue.getJobs(['delayed'])).find((j) => j.repeatJobKey === 'digest@acme')!;
      const redis = new Redis(transport.url);
      try {
        await redis.zrem(digestQueue.keys.delayed!, next.id!);
        await redis.del(digestQueue.toKey(next.id!));
      } finally {
        redis.disconnect();
      }
      await queues.queue('secret-rotation').removeJobScheduler('secret-rotation@globex');
      const broken = await warden(['schedules'], env);
      expect(broken.code).toBe(1);
      const lines = broken.stdout.split('\n');
      expect(lines[0]).toMatch(/^job\s+tenant\s+time zone\s+pattern\s+next \(UTC\)\s+next jobs\s+state$/);
      expect(lines.find((l) => l.startsWith('digest ') && l.includes('acme'))).toMatch(/Australia\/Sydney\s+0 8 \* \* 1\s+\S+ \S+\s+0\s+no next job$/);
      expect(lines.find((l) => l.startsWith('secret-rotation') && l.includes('globex'))).toMatch(/Europe\/Berlin\s+\S.*\s+-\s+0\s+no scheduler$/);
      expect(lines.filter((l) => /no next job|no scheduler/.test(l))).toHaveLength(2);
    } finally {
      await queues.close();
    }
  });

  it.each([
    // Future changes (BullMQ starts from now when startDate has passed): 31 October and 28 March 2027.
    ['autumn (02:30 happens twice)', '2027-10-29T12:00:00Z', ['2027-10-30T00:30:00.000Z', '2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']],
    ['spring (02:30 does not happen)', '2027-03-26T12:00:00Z', ['2027-03-27T01:30:00.000Z', '2027-03-28T01:30:00.000Z', '2027-03-29T00:30:00.000Z']],
  ])('a daily 02:30 Europe/Berlin schedule fires once a day across the %s change', async (_name, startDate, expected) => {
    const probes = new JobRegistry({ definitions: [probeJob] });
    const ledger = new JobRunsLedger(db.db);
    const fleet = await Fleet.start({ transport, registry: probes, ledger, deps: {}, log: createLogger({ level: 'silent' }), upsertSchedules: false });
    try {
      const q = fleet.queues.queue('probe');
      await q.upsertJobScheduler(
        'probe@globex',
        { pattern: '30 2 * * *', tz: 'Europe/Berlin', startDate },
        { name: 'probe', data: { tenant: 'globex', payload: {} }, opts: jobOptionsFor(probeJob, {}) },
      );
      // Each tick's job is promoted (run now): the worker records its run and the scheduler plans the next tick from it.
      for (let i = 0; i < expected.length; i++) {
        const job = await eventually(async () => (await q.getJobs(['delayed'])).find((j) => j.repeatJobKey === 'probe@globex'), 10_000, `tick ${i}`);
        await job.promote();
        await eventually(async () => ((await ledger.listRecent(10)).filter((r) => r.status === 'succeeded').length === i + 1 ? true : undefined), 10_000, `run ${i}`);
      }
      const runs = (await ledger.listRecent(10)).reverse();
      expect(runs.map((r) => r.scheduledFor!.toISOString())).toEqual(expected);
    } finally {
      await fleet.close();
    }
  });
});
