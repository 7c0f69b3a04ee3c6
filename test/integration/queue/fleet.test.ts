/**
 * The fleet in-process against the real Redis and Postgres: runs go through
 * the ledger, bad payloads fail once and are never retried, failures retry
 * with backoff, and start-up refuses a job without a handler.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { defineJob, type AnyJobDefinition } from '../../../src/queue/define-job.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { FleetConfigError, PayloadError } from '../../../src/queue/errors.js';
import { Fleet, QueueSet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { probeJob, strictJob } from '../../support/queue-jobs.js';
import { cleanQueues, countKeys, eventually, testTransport } from '../../support/queue.js';

describe('fleet', () => {
  const calls = { count: 0 };
  const registry = new JobRegistry({ definitions: [probeJob, strictJob(calls)] });
  let db: TestDatabase;
  let transport: ReturnType<typeof testTransport>;
  let ledger: JobRunsLedger;
  let fleet: Fleet | undefined;

  beforeEach(async () => {
    calls.count = 0;
    db = await createTestDatabase('postgres');
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'ACME_TOKEN' });
    transport = testTransport();
    ledger = new JobRunsLedger(db.db);
  });

  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
    await cleanQueues(transport, registry);
    expect(await countKeys(transport)).toBe(0);
    await db.destroy();
  });

  const start = async () =>
    (fleet = await Fleet.start({
      transport,
      registry,
      ledger,
      deps: {},
      log: createLogger({ level: 'silent' }),
      attempts: 3,
      backoffMs: 20,
      stalledIntervalMs: 1000,
      lockDurationMs: 2000,
    }));

  it('an enqueued run is a ledger row first, its job id is the run id, and it records counts', async () => {
    const f = await start();
    const runId = await enqueue({ registry, ledger, dispatcher: f.queues }, 'probe', {}, { tenant: 'acme' });
    const run = await eventually(async () => {
      const r = await ledger.get(runId);
      return r?.status === 'succeeded' ? r : undefined;
    });
    expect(run).toMatchObject({ kind: 'probe', tenant: 'acme', attempts: 1, error: null, counts: { pid: process.pid, attempt: 1 } });
    expect(run.startedAt).not.toBeNull();
    expect(run.finishedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt!.getTime());
    const job = await f.queues.queue('probe').getJob(runId);
    expect(job?.id).toBe(runId);
    // Enqueueing the same run again (a re-delivery) makes neither a second row nor a second execution.
    await f.queues.add(run);
    expect(await ledger.createRun(run)).toBe(false);
    expect(await db.db.selectFrom('job_runs').select('id').execute()).toHaveLength(1);
  });

  it('a failing job is retried with backoff until it succeeds, and the ledger shows each attempt', async () => {
    const f = await start();
    const runId = await enqueue({ registry, ledger, dispatcher: f.queues }, 'probe', { failTimes: 2 }, { tenant: 'acme' });
    const run = await eventually(async () => {
      const r = await ledger.get(runId);
      return r?.status === 'succeeded' ? r : undefined;
    });
    expect(run).toMatchObject({ attempts: 3, counts: { attempt: 3 }, error: null });
    const job = await f.queues.queue('probe').getJob(runId);
    // BullMQ counts the successful attempt too.
    expect(job?.attemptsMade).toBe(3);
    expect(await job?.getState()).toBe('completed');
  });

  it('a run that fails every attempt ends failed with its error', async () => {
    const f = await start();
    const runId = await enqueue({ registry, ledger, dispatcher: f.queues }, 'probe', { failTimes: 9 }, { tenant: 'acme' });
    const run = await eventually(async () => {
      const r = await ledger.get(runId);
      return r?.status === 'failed' ? r : undefined;
    });
    expect(run).toMatchObject({ attempts: 3, error: 'planned failure 3' });
  });

  it('a payload that fails its schema fails once, clearly, and is never retried or run', async () => {
    const f = await start();
    // A producer that skipped validation (or an old one): the worker must still refuse it.
    const bad = { id: 'bad-run-1', kind: 'strict', tenant: 'acme', payload: { profile_id: 42 }, scheduledFor: null };
    await ledger.createRun(bad);
    await f.queues.add(bad);
    const run = await eventually(async () => {
      const r = await ledger.get(bad.id);
      return r?.status === 'failed' ? r : undefined;
    });
    expect(run.error).toBe('invalid payload: payload.profile_id: expected string, got number');
    expect(run.attempts).toBe(1);
    const job = await f.queues.queue('strict').getJob(bad.id);
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBe('payload.profile_id: expected string, got number');
    expect(calls.count).toBe(0);
  });

  it('enqueue refuses a bad payload before anything is written', async () => {
    const queues = new QueueSet(transport, registry, {}, []);
    try {
      const attempt = enqueue({ registry, ledger, dispatcher: queues }, 'strict', { profile_id: '' }, { tenant: 'acme' });
      await expect(attempt).rejects.toThrow(PayloadError);
      await expect(attempt).rejects.toThrow('payload.profile_id: must not be empty');
      await expect(enqueue({ registry, ledger, dispatcher: queues }, 'nope', {}, { tenant: 'acme' })).rejects.toThrow(
        'job: unknown job "nope" (known: probe, strict)',
      );
      expect(await db.db.selectFrom('job_runs').select('id').execute()).toHaveLength(0);
      expect(await queues.queue('strict').getJobCounts()).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    } finally {
      await queues.close();
    }
  });

  it('close() drains: a running job finishes before the workers stop', async () => {
    const f = await start();
    const runId = await enqueue({ registry, ledger, dispatcher: f.queues }, 'probe', { sleepMs: 400 }, { tenant: 'acme' });
    await eventually(async () => ((await ledger.get(runId))?.status === 'running' ? true : undefined));
    await f.close();
    expect((await ledger.get(runId))?.status).toBe('succeeded');
  });
});

describe('start-up', () => {
  const noop = (name: string) => defineJob({ name, payload: z.object({}), run: () => Promise.resolve() });

  it('fails when a job has no handler', () => {
    const headless = { ...noop('digest'), run: undefined } as unknown as AnyJobDefinition;
    expect(() => new JobRegistry({ definitions: [noop('a'), headless] })).toThrow(new FleetConfigError('job "digest" has no handler'));
    expect(() => new JobRegistry({ definitions: [noop('a')], required: ['erasure'] })).toThrow('job "erasure" has no handler');
  });

  it('fails when a job has two handlers', () => {
    expect(() => new JobRegistry({ definitions: [noop('a'), noop('a')] })).toThrow(new FleetConfigError('job "a" has two handlers'));
  });

  it('fails when a schedule names an unknown job, or is not a cron pattern', () => {
    expect(() => new JobRegistry({ definitions: [noop('a')], schedules: [{ job: 'b', pattern: '* * * * *' }] })).toThrow(
      'schedule names unknown job "b"',
    );
    expect(() => new JobRegistry({ definitions: [noop('a')], schedules: [{ job: 'a', pattern: 'every tuesday' }] })).toThrow(
      'not a cron pattern',
    );
  });

  it('fails when a scheduled job cannot take the scheduled payload {}', () => {
    const needy = defineJob({ name: 'needy', payload: z.object({ id: z.string() }), schedule: '0 * * * *', run: () => Promise.resolve() });
    expect(() => new JobRegistry({ definitions: [needy] })).toThrow('job "needy" is scheduled but its payload schema rejects {}');
  });

  it('no worker starts (and nothing is left in Redis) when a selected queue is unknown', async () => {
    const transport = testTransport();
    const registry = new JobRegistry({ definitions: [noop('a')] });
    const db = await createTestDatabase('pglite');
    try {
      const ledger = new JobRunsLedger(db.db);
      await expect(
        Fleet.start({ transport, registry, ledger, deps: {}, log: createLogger({ level: 'silent' }), queues: ['ghost'] }),
      ).rejects.toThrow('unknown job "ghost"');
      expect(await countKeys(transport)).toBe(0);
    } finally {
      await db.destroy();
    }
  });
});
