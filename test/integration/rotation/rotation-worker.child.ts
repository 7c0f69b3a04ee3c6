/**
 * A real worker process for the rotation kill tests: the app's `rotation`
 * job on BullMQ under the test's Redis prefix, with the app's deps built from
 * the environment it is given (the test's ledger and schema, the simulator's
 * token variables, the secret key, the public URL, the outbox or an SMTP
 * server). Prints `ready <pid>` once its worker runs; its log lines (debug and
 * up) go to stdout, for the test to search for values.
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

export interface RotationChildConfig {
  transport: QueueTransport;
  /** The app's environment: `DATABASE_URL` and `WARDEN_DB_SCHEMA` name the test's ledger. */
  env: Record<string, string>;
  /** The platform client's tuning. */
  client: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

const config = JSON.parse(process.env.WARDEN_CHILD_CONFIG ?? '{}') as RotationChildConfig;
const appConfig = loadConfig(config.env);
const opened = await openDatabase({ config: appConfig, poolSize: 4 });
// The audit log's rows (each step's entry) are signed with the test ledger's key, as the app binds it from WARDEN_SECRET_KEY.
bindAuditKey(opened.db, TEST_AUDIT_KEY);
const app = createAppDeps({ db: opened.db, config: appConfig, env: config.env, client: config.client });
const fleet = await Fleet.start({
  transport: config.transport,
  registry: new JobRegistry({ definitions: jobs }),
  queues: ['rotation'],
  ledger: new JobRunsLedger(opened.db),
  deps: jobDeps(app),
  log: createLogger({ level: 'debug' }, process.stdout),
  upsertSchedules: false,
  concurrency: 4,
  stalledIntervalMs: config.stalledIntervalMs,
  lockDurationMs: config.lockDurationMs,
  drainTimeoutMs: 5_000,
  backoffMs: 50,
});
process.once('SIGTERM', () => {
  void fleet
    .close()
    .then(() => app.close())
    .then(() => opened.close())
    .then(() => process.exit(0));
});
process.stdout.write(`ready ${process.pid}\n`);
