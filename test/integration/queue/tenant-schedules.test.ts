/**
 * Schedules follow the tenants in the ledger: ensureSchedules (start-up and
 * every reconcile) reads them again, adds the schedulers of a new tenant and
 * removes those of a removed one, leaving schedulers Warden did not make.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileJob } from '../../../jobs/reconcile.job.js';
import { addTenant, listTenants, removeTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { probeJob } from '../../support/queue-jobs.js';
import { cleanQueues, testTransport } from '../../support/queue.js';

describe('schedules follow the tenants in the ledger', () => {
  const registry = new JobRegistry({
    definitions: [probeJob, reconcileJob],
    schedules: [{ job: 'probe', pattern: '0 9 1 */3 *' }],
  });
  let db: TestDatabase;
  const tenants = async () => (await listTenants(db.db)).map((t) => ({ name: t.name, timeZone: t.timezone }));
  const add = (name: string) => addTenant(db.db, { name, baseUrl: 'http://127.0.0.1:1', tokenEnv: 'T', timezone: 'Europe/Paris' });

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    await add('acme');
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('BullMQ: a tenant added while running gets its schedulers, a removed one loses them', async () => {
    const transport = testTransport();
    const queues = new QueueSet(transport, registry, {}, tenants);
    try {
      expect(await queues.ensureSchedules()).toBe(2);
      // Not one of Warden's ids: must survive.
      await queues.queue('probe').upsertJobScheduler('someone-else', { pattern: '0 0 1 1 *' });
      const keys = async () => (await queues.queue('probe').getJobSchedulers(0, -1)).map((s) => s.key).sort();
      expect(await keys()).toEqual(['probe@acme', 'someone-else']);

      await add('globex');
      expect(await queues.ensureSchedules()).toBe(3);
      expect(await keys()).toEqual(['probe@acme', 'probe@globex', 'someone-else']);

      await removeTenant(db.db, 'acme');
      expect(await queues.ensureSchedules()).toBe(2);
      expect(await keys()).toEqual(['probe@globex', 'someone-else']);
      expect((await queues.queue('reconcile').getJobSchedulers(0, -1)).map((s) => s.key)).toEqual(['reconcile@fleet']);
    } finally {
      await queues.close();
      await cleanQueues(transport, registry);
    }
  });

  it('inline: the cron tasks follow the tenants too', async () => {
    const runner = new InlineRunner({ registry, ledger: new JobRunsLedger(db.db), deps: {}, log: createLogger({ level: 'silent' }), tenants });
    try {
      await runner.start();
      expect(runner.scheduleIds.sort()).toEqual(['probe@acme', 'reconcile@fleet']);
      await add('globex');
      await removeTenant(db.db, 'acme');
      expect(await runner.ensureSchedules()).toBe(2);
      expect(runner.scheduleIds.sort()).toEqual(['probe@globex', 'reconcile@fleet']);
    } finally {
      await runner.close();
    }
  });
});
