/**
 * The one composition root (docs/architecture.md "Layers"): from the validated
 * {@link Config} and the command's streams it builds the logger (on stderr:
 * stdout carries results only), the ledger, the run ledger, the job registry,
 * the mailer, and chooses where jobs run: the BullMQ fleet when `REDIS_URL`
 * is set, the in-process runner otherwise. Every command and the demo go
 * through it; no adapter reads the environment itself.
 */
import type { Writable } from 'node:stream';
import { jobs } from '../../jobs/index.js';
import { readVariable, type Config, type Environment } from '../config.js';
import { openDatabase, type OpenedDatabase } from '../db/database.js';
import { bindAuditKey } from '../db/executor.js';
import { pendingMigrations } from '../db/migrate.js';
import { listTenants } from '../db/tenants.repository.js';
import { InputError } from '../errors.js';
import { ensureWritableFolder } from '../local-folder.js';
import { createLogger, type Logger } from '../log/logger.js';
import { keyring, type Keyring } from '../secrets/secret-box.js';
import { DEFAULT_PREFIX, type QueueTransport } from '../queue/connection.js';
import type { TenantSchedule } from '../queue/envelope.js';
import { ServiceOutage } from '../queue/outage.js';
import { JobRegistry } from '../queue/registry.js';
import type { RunLedger } from '../queue/run-ledger.js';
import { createAppDeps, type OpenedAppDeps } from './deps.js';
import { JobRunsLedger } from './job-runs-ledger.js';
import { ledgerKeysLoader, type LedgerKeys } from './ledger-keys.js';
import { openJobRunner, type JobRunner, type RunnerChoice } from './job-runner.js';

/** What the app needs of a command: where logs go, and the environment tenant tokens are read from. */
export interface AppIo {
  stderr: Writable;
  env: Environment;
}

export interface CreateAppOptions {
  /**
   * Variables added to the environment tenant tokens are read from (the demo's
   * simulator token, under the demo tenant's variable names).
   * @defaultValue none
   */
  variables?: Record<string, string>;
  /**
   * Suffix of the queue prefix, so that a second use of one Redis (the demo)
   * never takes a production fleet's jobs, nor they its: `warden` becomes `warden-demo`.
   * @defaultValue none
   */
  queuePrefixSuffix?: string;
  /**
   * Log level when `LOG_LEVEL` is not set (the demo prints a report and logs only warnings).
   * @defaultValue `LOG_LEVEL`'s own default, `info`
   */
  defaultLogLevel?: string;
  /**
   * This process sends email: an unusable `WARDEN_OUTBOX` is an input error now,
   * before the ledger opens, instead of a digest retried five times later.
   * @defaultValue false
   */
  sendsMail?: boolean;
}

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly database: OpenedDatabase;
  readonly registry: JobRegistry;
  /** The queue's run ledger, over the `job_runs` repository. */
  readonly ledger: RunLedger;
  /** Where tenant token variables are read. */
  readonly env: Environment;
  /** Undefined without `REDIS_URL`: jobs run in this process. */
  readonly transport: QueueTransport | undefined;
  /** The tenants' schedules, read afresh on every call (start-up and each reconcile). */
  tenants(): Promise<TenantSchedule[]>;
  /** Refuses a ledger with migrations not yet applied: nothing but `warden migrate` migrates. */
  assertMigrated(): Promise<void>;
  /**
   * The keys that open secret values (`WARDEN_SECRET_KEY`, and `WARDEN_OLD_SECRET_KEY`
   * during a key change); the current one seals. Read on first call.
   */
  keyring(): Keyring;
  /**
   * The audit key and the web key, kept sealed in the ledger (src/app/ledger-keys.ts):
   * loaded on first call (on the app's ledger, which must be migrated) and kept.
   */
  ledgerKeys(): Promise<LedgerKeys>;
  /** The jobs' dependencies (mailer included), made on first call and closed with the app. */
  deps(): OpenedAppDeps;
  /** The fleet or the in-process runner, chosen here and nowhere else. */
  openRunner(choice: RunnerChoice): Promise<JobRunner>;
  /** Closes the mailer and the ledger. */
  close(): Promise<void>;
}

/** The queue transport the config names, or undefined in embedded mode. */
export function transportOf(config: Config, prefixSuffix?: string): QueueTransport | undefined {
  if (config.REDIS_URL === undefined) return undefined;
  const prefix = `${config.WARDEN_QUEUE_PREFIX ?? DEFAULT_PREFIX}${prefixSuffix ?? ''}`;
  return {
    url: config.REDIS_URL,
    prefix,
    ...(config.REDIS_SENTINELS === undefined ? {} : { sentinels: config.REDIS_SENTINELS }),
    ...(config.REDIS_SENTINEL_NAME === undefined ? {} : { sentinelName: config.REDIS_SENTINEL_NAME }),
    ...(config.REDIS_CLUSTER_NODES === undefined ? {} : { clusterNodes: config.REDIS_CLUSTER_NODES }),
  };
}

export async function createApp(config: Config, io: AppIo, options: CreateAppOptions = {}): Promise<App> {
  const explicitLevel = readVariable(io.env, 'LOG_LEVEL') !== undefined;
  const log = createLogger({ level: explicitLevel ? config.LOG_LEVEL : (options.defaultLogLevel ?? config.LOG_LEVEL) }, io.stderr);
  if (options.sendsMail === true && config.SMTP_URL === undefined) ensureWritableFolder(config.WARDEN_OUTBOX, 'WARDEN_OUTBOX');
  const env: Environment = options.variables === undefined ? io.env : { ...io.env, ...options.variables };
  const registry = new JobRegistry({ definitions: jobs });
  // A dropped connection is one warn line per outage; the runs that needed it fail and are retried as usual.
  const postgres = new ServiceOutage(log, 'postgres', { lost: 'Postgres connection lost; runs that need it fail and are retried', back: 'Postgres back' });
  const database = await openDatabase({ config, onConnectionLost: (err) => postgres.lost(err), onConnected: () => postgres.restored() });
  try {
    // One bounded attempt now, so a ledger that is down is one line naming DATABASE_URL, not a hang.
    await database.check();
  } catch (err) {
    await database.close();
    throw err;
  }
  // Read on first use: without WARDEN_SECRET_KEY, reading it may create the embedded key file.
  let ring: Keyring | undefined;
  const keyringOf = () => (ring ??= keyring(config, config.WARDEN_DATA_DIR));
  // The audit log's HMAC key, kept in the ledger sealed (docs/architecture.md "The audit log"), loaded on
  // the handle the entry is written with; one loader for the web key too, so the process loads them once.
  const ledgerKeys = ledgerKeysLoader(keyringOf);
  bindAuditKey(database.db, async (db) => (await ledgerKeys(db)).audit);
  const makeDeps = () => createAppDeps({ db: database.db, config, env, keyring: keyringOf, ledgerKeys });
  const ledger = new JobRunsLedger(database.db);
  let deps: OpenedAppDeps | undefined;
  if (options.sendsMail === true && config.SMTP_URL !== undefined) {
    // One bounded attempt now: an SMTP server that is down is one line naming SMTP_URL, before any run.
    deps = makeDeps();
    try {
      await deps.mailer.verify?.();
    } catch (err) {
      await deps.close();
      await database.close();
      throw err;
    }
  }
  const app: App = {
    config,
    log,
    database,
    registry,
    ledger,
    env,
    transport: transportOf(config, options.queuePrefixSuffix),
    tenants: async () => (await listTenants(database.db)).map((t) => ({ name: t.name, timeZone: t.timezone })),
    async assertMigrated() {
      const pending = await pendingMigrations(database.db, database.schema === undefined ? {} : { schema: database.schema });
      if (pending.length > 0) throw new InputError('ledger', `${pending.length} migration(s) not applied: run \`warden migrate\` first`);
    },
    keyring: keyringOf,
    ledgerKeys: () => ledgerKeys(database.db),
    deps() {
      deps ??= makeDeps();
      return deps;
    },
    openRunner: (choice) => openJobRunner(app, choice),
    async close() {
      await deps?.close();
      await database.close();
    },
  };
  return app;
}
