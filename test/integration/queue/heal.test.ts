/**
 * Schedules heal themselves (docs/architecture.md "A run's life", 7): a
 * worker re-asserts its schedulers after a Redis reconnection even with its
 * timer off, and on its timer after a flush; the inline runner picks up a new
 * tenant's cron tasks on its timer. Redis database 8 is the test's own: it
 * is flushed, which on the shared database 0 would wipe everyone's keys.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { Fleet } from '../../../src/queue/fleet.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { probeJob } from '../../support/queue-jobs.js';
import { cleanQueues, countKeys, eventually, flushTransportDb, testTransport } from '../../support/queue.js';

const OWN_DB = 8;
const registry = new JobRegistry({ definitions: [probeJob], schedules: [{ job: 'probe', pattern: '0 9 1 */3 *' }] });
const log = createLogger({ level: 'silent' });

describe('schedules heal themselves', () => {
  let db: TestDatabase;
  let transport: ReturnType<typeof testTransport>;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    transport = testTransport(OWN_DB);
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await cleanQueues(transport, registry);
    await db.destroy();
  });

  const schedulerIds = async (fleet: Fleet) => (await fleet.queues.queue('probe').getJobSchedulers()).map((s) => s.key).sort();

  it('after a flush, on the timer; after a reconnection, at once', async () => {
    const tenants = [{ name: 'acme', timeZone: 'Australia/Sydney' }];
    const start = (scheduleIntervalMs: number) =>
      Fleet.start({ transport, registry, ledger: new JobRunsLedger(db.db), deps: {}, log, tenants, scheduleIntervalMs });

    const timed = await start(300);
    closers.push(() => timed.close());
    expect(await schedulerIds(timed)).toEqual(['probe@acme']);
    await flushTransportDb(transport);
    expect(await countKeys(transport)).toBe(0);
    await eventually(async () => ((await schedulerIds(timed)).length === 1 ? true : undefined), 5000, 'schedulers after the flush');
    await timed.close();
    closers.pop();

    // Timer off: only the reconnection can bring them back.
    const untimed = await start(0);
    closers.push(() => untimed.close());
    await flushTransportDb(transport);
    await new Promise((r) => setTimeout(r, 500));
    expect(await schedulerIds(untimed)).toEqual([]);
    // The connection drops (as when Redis restarts) and ioredis reconnects.
    (untimed as unknown as { client: Redis }).client.disconnect(true);
    await eventually(async () => ((await schedulerIds(untimed)).length === 1 ? true : undefined), 10_000, 'schedulers after the reconnection');
  });

  it('the inline runner starts a new tenant\'s cron tasks on its timer', async () => {
    const tenants = [{ name: 'acme', timeZone: 'UTC' }];
    const runner = new InlineRunner({ registry, ledger: new JobRunsLedger(db.db), deps: {}, log, tenants: () => Promise.resolve(tenants), scheduleIntervalMs: 200 });
    closers.push(() => runner.close());
    await runner.start();
    expect(runner.scheduleIds).toEqual(['probe@acme']);
    tenants.push({ name: 'globex', timeZone: 'Europe/Berlin' });
    await eventually(() => Promise.resolve(runner.scheduleIds.length === 2 ? true : undefined), 5000, 'the new tenant scheduled');
    expect(runner.scheduleIds.sort()).toEqual(['probe@acme', 'probe@globex']);
  });
});
