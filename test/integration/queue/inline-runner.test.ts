/**
 * Embedded mode: without Redis the same definitions run in-process, with the
 * same validation and the same ledger rows,
 * and node-cron fires the schedules.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { PayloadError } from '../../../src/queue/errors.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { probeJob, strictJob } from '../../support/queue-jobs.js';
import { eventually } from '../../support/queue.js';

describe('inline runner', () => {
  const calls = { count: 0 };
  let db: TestDatabase;
  let runner: InlineRunner | undefined;

  beforeEach(async () => {
    calls.count = 0;
    db = await createTestDatabase('postgres');
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'T', timezone: 'Asia/Tokyo' });
  });

  afterEach(async () => {
    await runner?.close();
    runner = undefined;
    await db.destroy();
  });

  const start = (schedule?: string) => {
    const registry = new JobRegistry({
      definitions: [probeJob, strictJob(calls)],
      schedules: schedule === undefined ? [] : [{ job: 'probe', pattern: schedule }],
    });
    const ledger = new JobRunsLedger(db.db);
    runner = new InlineRunner({
      registry,
      ledger,
      deps: {},
      log: createLogger({ level: 'silent' }),
      tenants: [{ name: 'acme', timeZone: 'Asia/Tokyo' }],
      attempts: 3,
      backoffMs: 10,
    });
    return { registry, ledger, runner };
  };

  it('runs enqueued jobs with retries and records them like the fleet', async () => {
    const { registry, ledger, runner } = start();
    const ok = await enqueue({ registry, ledger, dispatcher: runner }, 'probe', { failTimes: 1 }, { tenant: 'acme' });
    await runner.idle();
    expect(await ledger.get(ok)).toMatchObject({ status: 'succeeded', attempts: 2, counts: { attempt: 2, pid: process.pid } });
  });

  it('fails a bad payload once, never runs it, and refuses it at enqueue', async () => {
    const { registry, ledger, runner } = start();
    const bad = { id: 'inline-bad', kind: 'strict', tenant: 'acme', payload: {}, scheduledFor: null };
    await ledger.createRun(bad);
    await runner.add(bad);
    await runner.idle();
    expect(await ledger.get(bad.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'invalid payload: payload.profile_id: missing (expected string)',
    });
    expect(calls.count).toBe(0);
    await expect(enqueue({ registry, ledger, dispatcher: runner }, 'strict', { profile_id: 7 }, { tenant: 'acme' })).rejects.toThrow(
      PayloadError,
    );
    expect(await ledger.listRecent(10)).toHaveLength(1);
  });

  it('node-cron fires the schedule per tenant, one run per tick', async () => {
    const { ledger, runner } = start('* * * * * *');
    await runner.start();
    const runs = await eventually(async () => {
      const done = (await ledger.listRecent(10)).filter((r) => r.status === 'succeeded');
      return done.length >= 2 ? done : undefined;
    }, 10_000, 'two scheduled runs');
    await runner.close();
    const all = await ledger.listRecent(100);
    expect(new Set(all.map((r) => r.scheduledFor?.getTime())).size).toBe(all.length);
    expect(runs.every((r) => r.kind === 'probe' && r.tenant === 'acme' && r.scheduledFor!.getTime() % 1000 === 0)).toBe(true);
  });

  it('honours --queues and --concurrency: only the selected jobs, at most N of a kind at once', async () => {
    const registry = new JobRegistry({
      definitions: [probeJob, strictJob(calls)],
      schedules: [{ job: 'probe', pattern: '0 9 1 */3 *' }],
    });
    const ledger = new JobRunsLedger(db.db);
    const log = createLogger({ level: 'silent' });
    const tenants = [{ name: 'acme', timeZone: 'Asia/Tokyo' }];
    expect(() => new InlineRunner({ registry, ledger, deps: {}, log, queues: ['ghost'] })).toThrow(/unknown job "ghost"/);
    const strictOnly = new InlineRunner({ registry, ledger, deps: {}, log, tenants, queues: ['strict'] });
    try {
      await strictOnly.start();
      expect(strictOnly.scheduleIds).toEqual([]);
      await expect(strictOnly.add({ id: 'x', kind: 'probe', tenant: 'acme', payload: {}, scheduledFor: null })).rejects.toThrow(/not among/);
    } finally {
      await strictOnly.close();
    }

    runner = new InlineRunner({ registry, ledger, deps: {}, log, tenants, queues: ['probe'], concurrency: 2 });
    await runner.start();
    expect(runner.scheduleIds).toEqual(['probe@acme']);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await enqueue({ registry, ledger, dispatcher: runner }, 'probe', { sleepMs: 300 }, { tenant: 'acme' }));
    let most = 0;
    while ((await Promise.all(ids.map((id) => ledger.get(id)))).some((r) => r?.status !== 'succeeded')) {
      const running = (await ledger.listUnfinished()).filter((r) => r.status === 'running').length;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(most).toBe(2);
  });

  it('close() cuts a retry wait short: the run does not attempt again after shutdown', async () => {
    const registry = new JobRegistry({ definitions: [probeJob] });
    const ledger = new JobRunsLedger(db.db);
    runner = new InlineRunner({ registry, ledger, deps: {}, log: createLogger({ level: 'silent' }), attempts: 3, backoffMs: 1500, drainTimeoutMs: 5000 });
    const id = await enqueue({ registry, ledger, dispatcher: runner }, 'probe', { failTimes: 1 }, { tenant: 'acme' });
    await eventually(async () => ((await ledger.get(id))?.error === 'planned failure 1' ? true : undefined), 5000, 'first attempt failed');
    const started = Date.now();
    await runner.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await ledger.get(id)).toMatchObject({ status: 'queued', attempts: 1, error: 'planned failure 1' });
  });
});
