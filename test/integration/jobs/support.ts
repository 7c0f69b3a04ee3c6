/**
 * Audit-job test support: the simulator's demo tenant seeded into a migrated
 * ledger of the test's own, and one run of a job through the real inline
 * runner (the same executeRun as the fleet), read back from the ledger.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { jobs } from '../../../jobs/index.js';
import { loadConfig } from '../../../src/config.js';
import { createAppDeps, jobDeps, type OpenedAppDeps } from '../../../src/app/deps.js';
import type { Db } from '../../../src/db/executor.js';
import type { MailerConfig } from '../../../src/mail/transports.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from '../../../src/demo/seed-demo.js';
import { createLogger } from '../../../src/log/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/omneo/simulator/server.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import type { RunRecord } from '../../../src/queue/run-ledger.js';
import { createTestDatabase, TEST_SECRET_KEY, type Backend, type TestDatabase } from '../../support/db.js';

export const TENANT = 'demo';

export interface JobsWorld {
  sim: Simulator;
  db: TestDatabase;
  /** What the jobs see as the process environment: the demo tenant's token variable. */
  env: NodeJS.ProcessEnv;
  secretKey: Buffer;
  registry: JobRegistry;
  /** One run of `kind` for the demo tenant, to its end; deps built from `env` unless given. */
  run(kind: string, options?: { env?: NodeJS.ProcessEnv; mailer?: MailerConfig }): Promise<RunRecord>;
  /** The emails the runs wrote to the world's own outbox folder (with `{ outbox: true }`), oldest first. */
  outbox(): Promise<ParsedMail[]>;
  /** The digests among them (the access and tokens audits also email the admins approval requests). */
  digests(): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/**
 * @param options.outbox - send email to a temporary outbox folder of the world's own, removed by close()
 * @param options.simulator - the simulator's options (e.g. more `profiles`), besides its port
 */
export async function startWorld(backend: Backend, options: { outbox?: boolean; simulator?: SimulatorOptions } = {}): Promise<JobsWorld> {
  const outboxDir = options.outbox === true ? mkdtempSync(join(tmpdir(), 'warden-world-outbox-')) : undefined;
  const sim = await startSimulator({ ...options.simulator, port: 0 });
  const db = await createTestDatabase(backend);
  // The key the app deps of these tests are given (WARDEN_SECRET_KEY), so the seeded secrets open.
  const secretKey = Buffer.from(TEST_SECRET_KEY, 'base64');
  await seedDemoTenant(db.db, { simulator: sim, secretKey });
  const env: NodeJS.ProcessEnv = {
    // The app's key is the one the seed sealed with: a rotation run opens the seeded secrets.
    WARDEN_SECRET_KEY: TEST_SECRET_KEY,
    [DEMO_TOKEN_ENV]: sim.token,
    // The simulator's SCIM directory takes the same bearer token (tenant-snapshot.ts scimTokenEnv).
    [`${DEMO_TOKEN_ENV}_SCIM`]: sim.token,
    LOG_LEVEL: 'silent',
    ...(outboxDir === undefined ? {} : { WARDEN_OUTBOX: outboxDir }),
  };
  const registry = new JobRegistry({ definitions: jobs });
  const ledger = new JobRunsLedger(db.db);
  const log = createLogger({ level: 'silent' });
  const outbox = async (): Promise<ParsedMail[]> => {
    if (outboxDir === undefined) throw new Error('this world has no outbox: start it with { outbox: true }');
    const files = readdirSync(outboxDir).filter((f) => f.endsWith('.eml')).sort();
    return Promise.all(files.map((f) => simpleParser(readFileSync(join(outboxDir, f)))));
  };
  return {
    sim,
    db,
    env,
    secretKey,
    registry,
    async run(kind, opts = {}) {
      const app: OpenedAppDeps = createAppDeps({
        db: db.db,
        config: loadConfig(opts.env ?? env),
        env: opts.env ?? env,
        ...(opts.mailer === undefined ? {} : { mailer: opts.mailer }),
        // Fast retries: the simulator runs without faults here.
        client: { maxRetries: 1 },
      });
      // Short backoff so a retried attempt cannot stretch a test; permanence is asserted through `attempts`.
      const runner = new InlineRunner({ registry, ledger, deps: jobDeps(app), log, attempts: 3, backoffMs: 10 });
      try {
        const id = await enqueue({ registry, ledger, dispatcher: runner }, kind, {}, { tenant: TENANT });
        await runner.settled(id);
        const record = await ledger.get(id);
        if (record === undefined) throw new Error(`run ${id} vanished`);
        return record;
      } finally {
        await runner.close();
        await app.close();
      }
    },
    outbox,
    async digests() {
      // Not the approval requests, nor the engineers' erasure emails (the demo's history has overdue requests).
      return (await outbox()).filter((m) => !/approval\(s\) waiting$/.test(m.subject ?? '') && !/: erasure (deadlines|request #)/.test(m.subject ?? ''));
    },
    async close() {
      if (outboxDir !== undefined) rmSync(outboxDir, { recursive: true, force: true });
      await db.destroy();
      await sim.close();
    },
  };
}

/** Open findings of the tenant by fingerprint, with the columns a run changes. */
export async function findingsState(db: Db): Promise<Map<string, { rule: string; subject_id: string; resolved_at: Date | null; last_run_id: number | null; last_seen: Date }>> {
  const rows = await db
    .selectFrom('findings')
    .select(['fingerprint', 'rule', 'subject_id', 'resolved_at', 'last_run_id', 'last_seen'])
    .where('tenant', '=', TENANT)
    .execute();
  return new Map(rows.map((r) => [r.fingerprint, r]));
}
