/**
 * A real worker process for the erasure chaos test: the app's `erasure` and
 * `reconcile` jobs on BullMQ under the test's Redis prefix, with the app's
 * deps over the test's Postgres schema, the simulator's token variables, the
 * secret key the identifiers were sealed with and the test's outbox. Prints
 * `ready <pid>` once its workers run; its log lines (debug and up) go to
 * stdout, for the test to search for identifiers.
 */
import { jobs } from '../../../jobs/index.js';
import { createAppDeps, jobDeps } from '../../../src/app/deps.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { loadConfig } from '../../../src/config.js';
import { openDatabase } from '../../../src/db/database.js';
import { bindAuditKey } from '../../../src/db/executor.js';
import { createLogger } from '../../../src/log/logger.js';
import type { OmneoClientOptions } from '../../../src/omneo/client.js';
import type { QueueTransport } from '../../../src/queue/connection.js';
import { Fleet } from '../../../src/queue/fleet.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { TEST_AUDIT_KEY } from '../../support/db.js';

export interface ErasureChildConfig {
  transport: QueueTransport;
  databaseUrl: string;
  schema: string;
  /** What the app reads as its environment (token variables, outbox, secret key). */
  env: Record<string, string>;
  /** The platform client's tuning (the test's short timeout and backoff). */
  client: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  backoffMs: number;
}

const config = JSON.parse(process.env.WARDEN_CHILD_CONFIG ?? '{}') as ErasureChildConfig;
const opened = await openDatabase({ url: config.databaseUrl, schema: config.schema, poolSize: 8 });
// The audit log's rows (each certificate's entry) are signed with the test ledger's key, as the app binds it from WARDEN_SECRET_KEY.
bindAuditKey(opened.db, TEST_AUDIT_KEY);
const app = createAppDeps({ db: opened.db, config: loadConfig(config.env), env: config.env, client: config.client });
const fleet = await Fleet.start({
  transport: config.transport,
  registry: new JobRegistry({ definitions: jobs }),
  queues: ['erasure', 'reconcile'],
  ledger: new JobRunsLedger(opened.db),
  deps: jobDeps(app),
  log: createLogger({ level: 'debug' }, process.stdout),
  upsertSchedules: false,
  concurrency: config.concurrency,
  stalledIntervalMs: config.stalledIntervalMs,
  lockDurationMs: config.lockDurationMs,
  drainTimeoutMs: 5_000,
  backoffMs: config.backoffMs,
});
process.once('SIGTERM', () => {
  void fleet
    .close()
    .then(() => app.close())
    .then(() => opened.close())
    .then(() => process.exit(0));
});
process.stdout.write(`ready ${process.pid}\n`);
