/**
 * One run, one execution at a time: a run is claimed compare-and-set in the
 * ledger (queued, or running under an expired lease), so a second runner on
 * the same database (a `warden run`, another worker, BullMQ re-delivery)
 * loses the claim and does not execute it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { reconcileJob } from '../../../jobs/reconcile.job.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { defineJob } from '../../../src/queue/define-job.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { Fleet } from '../../../src/queue/fleet.js';
import { InlineRunner, type InlineRunnerOptions } from '../../../src/queue/inline-runner.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { cleanQueues, eventually, testTransport } from '../../support/queue.js';

const executions: string[] = [];
const slowJob = defineJob({
  name: 'slow',
  payload: z.object({ sleepMs: z.number().int().optional() }),
  async run(payload, ctx) {
    executions.push(ctx.runId);
    await sleep(payload.sleepMs ?? 0, undefined, { signal: ctx.signal });
    return { done: 1 };
  },
});

describe('claiming a run', () => {
  const registry = new JobRegistry({ definitions: [slowJob, reconcileJob] });
  const log = createLogger({ level: 'silent' });
  let db: TestDatabase;
  let ledger: JobRunsLedger;
  const runners: InlineRunner[] = [];
  const runner = (opts: Partial<InlineRunnerOptions> = {}) => {
    const r = new InlineRunner({ registry, ledger, deps: {}, log, attempts: 1, ...opts });
    runners.push(r);
    return r;
  };

  beforeEach(async () => {
    executions.length = 0;
    db = await createTestDatabase('postgres');
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'T' });
    ledger = new JobRunsLedger(db.db);
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.close();
    await db.destroy();
  });

  it('the ledger claims queued runs and running ones whose lease expired, nothing else', async () => {
    await ledger.createRun({ id: 'r1', kind: 'slow', tenant: 'acme', payload: {}, scheduledFor: null });
    expect(await ledger.markRunning('r1', 1, 300)).toBe(true);
    expect(await ledger.markRunning('r1', 1, 60_000)).toBe(false);
    await sleep(400);
    // The first claim's lease (300 ms, never renewed) has run out by the database's clock.
    expect(await ledger.markRunning('r1', 2, 10)).toBe(true);
    expect(await ledger.get('r1')).toMatchObject({ status: 'running', attempts: 2 });
    await ledger.finish('r1', 'succeeded', {}, null);
    expect(await ledger.markRunning('r1', 3, 0)).toBe(false);
    expect(await ledger.markRunning('nope', 1, 0)).toBe(false);
  });

  it("inline reconcile in a second process leaves a run another process is executing alone", async () => {
    const a = runner();
    const b = runner();
    const id = await enqueue({ registry, ledger, dispatcher: a }, 'slow', { sleepMs: 800 }, { tenant: 'acme' });
    await eventually(async () => ((await ledger.get(id))?.status === 'running' ? true : undefined), 5000, 'run started');

    const rec = await enqueue({ registry, ledger, dispatcher: b }, 'reconcile', {}, { tenant: null });
    await b.idle();
    expect((await ledger.get(rec))?.counts).toEqual({ schedulers: 1, requeued: 0, retried: 0, failed: 0, unknown: 0 });
    // Even a forced re-delivery loses the claim and does not run the job.
    await b.requeue((await ledger.get(id))!);
    await b.idle();
    await a.idle();
    expect(executions).toEqual([id]);
    expect(await ledger.get(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('inline reconcile re-queues queued runs past the grace period and expired running ones', async () => {
    await ledger.createRun({ id: 'young', kind: 'slow', tenant: 'acme', payload: {}, scheduledFor: null });
    const patient = runner();
    const rec = await enqueue({ registry, ledger, dispatcher: patient }, 'reconcile', {}, { tenant: null });
    await patient.idle();
    expect((await ledger.get(rec))?.counts).toMatchObject({ requeued: 0 });
    expect(executions).toEqual([]);

    await ledger.createRun({ id: 'dead', kind: 'slow', tenant: 'acme', payload: {}, scheduledFor: null });
    expect(await ledger.markRunning('dead', 1, 10)).toBe(true); // its process then died: the lease is never renewed
    await sleep(50);
    const eager = runner({ requeueGraceMs: 0, leaseMs: 10 });
    const rec2 = await enqueue({ registry, ledger, dispatcher: eager }, 'reconcile', {}, { tenant: null });
    await eager.idle();
    expect((await ledger.get(rec2))?.counts).toMatchObject({ requeued: 2 });
    expect(executions.sort()).toEqual(['dead', 'young']);
    expect(await ledger.get('dead')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('BullMQ delays a delivery that finds the run leased until the lease ends, then completes it as a duplicate', async () => {
    const transport = testTransport();
    const fleet = await Fleet.start({ transport, registry, ledger, deps: {}, log, queues: ['slow'], upsertSchedules: false, lockDurationMs: 60_000 });
    try {
      await ledger.createRun({ id: 'taken', kind: 'slow', tenant: 'acme', payload: {}, scheduledFor: null });
      expect(await ledger.markRunning('taken', 1, 1500, 'holder')).toBe(true); // another runner has it
      await fleet.queues.add({ id: 'taken', kind: 'slow', tenant: 'acme', payload: {}, scheduledFor: null });
      const q = fleet.queues.queue('slow');
      await eventually(async () => ((await q.getJobState('taken')) === 'delayed' ? true : undefined), 10_000, 'job delayed');
      // The holder ends the run before its lease is up: the delayed delivery then finds it final.
      expect(await ledger.finish('taken', 'succeeded', { done: 1 }, null, 'holder')).toBe(true);
      const job = await eventually(async () => {
        const j = await q.getJob('taken');
        return j?.finishedOn !== undefined ? j : undefined;
      }, 10_000, 'job finished');
      expect(job.returnvalue).toBe('duplicate');
      expect(executions).toEqual([]);
      expect(await ledger.get('taken')).toMatchObject({ status: 'succeeded', attempts: 1, counts: { done: 1 } });
    } finally {
      await fleet.close();
      await cleanQueues(transport, registry);
    }
  });
});
