/**
 * What the CLI commands share: the ledger, the registry of every job, the
 * tenants' schedules, and the transport (BullMQ when REDIS_URL is set, the
 * inline runner otherwise).
 */
import { jobs } from '../../jobs/index.js';
import { openDatabase, type OpenedDatabase } from '../db/database.js';
import { listTenants } from '../db/tenants.repository.js';
import { transportFromEnv, type QueueTransport } from './connection.js';
import type { TenantSchedule } from './envelope.js';
import { PgRunLedger } from './pg-run-ledger.js';
import { JobRegistry } from './registry.js';

export interface Runtime {
  database: OpenedDatabase;
  ledger: PgRunLedger;
  registry: JobRegistry;
  /** Reads the tenants' schedules from the ledger, afresh on every call (start-up and each reconcile). */
  tenants: () => Promise<TenantSchedule[]>;
  /** Undefined in embedded mode (no REDIS_URL). */
  transport: QueueTransport | undefined;
  close(): Promise<void>;
}

export async function openRuntime(env: NodeJS.ProcessEnv): Promise<Runtime> {
  const registry = new JobRegistry({ definitions: jobs });
  const database = await openDatabase({ env });
  return {
    database,
    ledger: new PgRunLedger(database.db),
    registry,
    tenants: async () => (await listTenants(database.db)).map((t) => ({ name: t.name, timeZone: t.timezone })),
    transport: transportFromEnv(env, env.WARDEN_QUEUE_PREFIX?.trim() || undefined),
    close: () => database.close(),
  };
}
