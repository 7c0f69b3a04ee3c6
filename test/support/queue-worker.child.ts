/**
 * A real worker process for the fleet tests: the Postgres ledger in the
 * test's schema, the test's Redis prefix, the probe job (optionally
 * scheduled). Prints `ready <pid>` once its workers run; SIGTERM drains.
 */
import { openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/log/logger.js';
import { Fleet } from '../../src/queue/fleet.js';
import { JobRunsLedger } from '../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../src/queue/registry.js';
import { reconcileJob } from '../../jobs/reconcile.job.js';
import { effectJob, probeJob } from './queue-jobs.js';
import type { ChildConfig } from './queue.js';

const config = JSON.parse(process.env.WARDEN_CHILD_CONFIG ?? '{}') as ChildConfig;
const opened = await openDatabase({ url: config.databaseUrl, schema: config.schema, poolSize: 4 });
const registry = new JobRegistry({
  definitions: [probeJob, ...(config.reconcile === true ? [reconcileJob] : []), ...(config.effectUrl === undefined ? [] : [effectJob])],
  schedules: config.schedule === undefined ? [] : [{ job: 'probe', pattern: config.schedule }],
});
const fleet = await Fleet.start({
  transport: config.transport,
  registry,
  ledger: new JobRunsLedger(opened.db),
  deps: config.effectUrl === undefined ? {} : { effectUrl: config.effectUrl },
  log: createLogger({ level: 'warn' }),
  tenants: config.tenants,
  concurrency: config.concurrency,
  stalledIntervalMs: config.stalledIntervalMs,
  lockDurationMs: config.lockDurationMs,
  drainTimeoutMs: config.drainTimeoutMs ?? 30_000,
  backoffMs: 50,
  ...(config.attempts === undefined ? {} : { attempts: config.attempts }),
  ...(config.scheduleIntervalMs === undefined ? {} : { scheduleIntervalMs: config.scheduleIntervalMs }),
});
process.once('SIGTERM', () => {
  void fleet
    .close()
    .then(() => opened.close())
    .then(() => {
      process.stdout.write('drained\n');
      process.exit(0);
    });
});
process.stdout.write(`ready ${process.pid}\n`);
