/**
 * Reconcile looks the jobs of unfinished runs up in bulk: pipelined per
 * queue, never one getJob round trip per run.
 */
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reconcileJob } from '../../../jobs/reconcile.job.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import type { RunRecord } from '../../../src/queue/run-ledger.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { probeJob } from '../../support/queue-jobs.js';
import { cleanQueues, testTransport } from '../../support/queue.js';

describe('reconcile lookups', () => {
  const registry = new JobRegistry({ definitions: [probeJob, reconcileJob] });
  let db: TestDatabase;
  let transport: ReturnType<typeof testTransport>;
  let queues: QueueSet;

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'T' });
    transport = testTransport();
    queues = new QueueSet(transport, registry, {}, []);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await queues.close();
    await cleanQueues(transport, registry);
    await db.destroy();
  });

  it('finds the runs whose job is gone without a getJob per run', async () => {
    const ledger = new JobRunsLedger(db.db);
    const present = new Set<string>();
    for (let i = 0; i < 300; i++) {
      // Every third id looks like a scheduler's (a ':' travels as '_'), to cover both job ids.
      const run = { id: i % 3 === 0 ? `repeat:probe@acme:${i}` : `run-${i}`, kind: 'probe', tenant: 'acme', payload: {}, scheduledFor: null };
      await ledger.createRun(run);
      if (i % 2 === 0) {
        await queues.add(run);
        present.add(run.id);
      }
    }
    await ledger.createRun({ id: 'ghost-run', kind: 'retired-job', tenant: null, payload: {}, scheduledFor: null });
    const unfinished: RunRecord[] = await ledger.listUnfinished();
    expect(unfinished).toHaveLength(301);

    const getJob = vi.spyOn(Queue.prototype, 'getJob');
    const missing = await queues.missingJobs(unfinished);
    expect(getJob).not.toHaveBeenCalled();
    expect(missing.map((r) => r.id).sort()).toEqual(unfinished.filter((r) => !present.has(r.id)).map((r) => r.id).sort());
    expect(missing.some((r) => r.id === 'ghost-run')).toBe(true);
  });
});
