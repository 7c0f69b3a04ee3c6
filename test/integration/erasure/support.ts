/**
 * Erasure test support, over the audit jobs' world (test/integration/jobs/support.ts:
 * the simulator's demo tenant over HTTP, a Postgres schema of the test's own,
 * an outbox folder): the app-layer actions with the `erasure` runs executed
 * by the real inline runner, the tenant's engineer, and the simulator's
 * profiles read and steered over HTTP.
 */
import { createAppDeps, jobDeps, type OpenedAppDeps } from '../../../src/app/deps.js';
import type { ErasureActionDeps } from '../../../src/app/erasures.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { addPerson } from '../../../src/app/people.js';
import { loadConfig } from '../../../src/config.js';
import type { Person } from '../../../src/db/database.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import { simApi } from '../../support/sim-api.js';
import type { Simulator, SimulatorOptions } from '../../../src/omneo/simulator/server.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { Fleet } from '../../../src/queue/fleet.js';
import type { QueueTransport } from '../../../src/queue/connection.js';
import { cleanQueues, testTransport } from '../../support/queue.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import type { RunRecord } from '../../../src/queue/run-ledger.js';
import type { OmneoClientOptions } from '../../../src/omneo/client.js';
import type { ScriptedFault } from '../../../src/omneo/simulator/server.js';
import { sql } from 'kysely';
import type { Db } from '../../../src/db/executor.js';
import type { ErasureRequest } from '../../../src/db/database.js';
import { TEST_SECRET_KEY } from '../../support/db.js';
import { Writable } from 'node:stream';
import type { ParsedMail } from 'mailparser';
import { createRuns } from '../../../src/db/job-runs.repository.js';
import { DEMO_TOKEN_ENV } from '../../../src/demo/seed-demo.js';
import { newRunId } from '../../../src/queue/run-id.js';
import { startWorld, TENANT, type JobsWorld } from '../jobs/support.js';

export { TENANT };
export const ENGINEER = 'engineer@demo.example';
export const PUBLIC_URL = 'https://warden.test';

export interface ErasureWorld extends JobsWorld {
  /** The world's env plus a public URL and a secret key (identifiers are sealed with it). */
  appEnv: NodeJS.ProcessEnv;
  engineer: Person;
}

/** @param options.simulator - the simulator's options (e.g. more `profiles` than the demo's 50 synthetic ones) */
export async function startErasureWorld(options: { simulator?: SimulatorOptions } = {}): Promise<ErasureWorld> {
  const world = await startWorld('postgres', { outbox: true, ...options });
  const appEnv = { ...world.env, WARDEN_PUBLIC_URL: PUBLIC_URL, WARDEN_SECRET_KEY: TEST_SECRET_KEY };
  const engineer = await addPerson(world.db.db, { email: ENGINEER, name: 'Erin Engineer', roles: ['engineer'] }, 'test');
  return { ...world, appEnv, engineer };
}

export interface Eraser {
  app: OpenedAppDeps;
  runner: InlineRunner;
  /** What the erasure actions need, dispatching into the inline runner. */
  deps: ErasureActionDeps;
  /** Waits until nothing runs or waits (a deferred verification waits too). */
  idle(): Promise<void>;
  /**
   * Enqueues a run of `kind` (`{}` payload; tenant null for a fleet-wide job: reconcile) and waits for that run
   * to end (not for the runs it enqueues: `idle()` waits for those).
   */
  runJob(kind: string, tenant?: string | null): Promise<RunRecord>;
  close(): Promise<void>;
}

/** The platform client for erasure tests: no in-call retry, a short timeout, a short backoff. */
export const ERASURE_CLIENT = { maxRetries: 1, timeoutMs: 1_000, backoffBaseMs: 10 } as const;

export interface EraserOptions {
  log?: Logger;
  /** Attempts of jobs that set none (the erasure job sets its own 8). */
  attempts?: number;
  /** The runner's retry backoff base. @defaultValue 20 */
  backoffMs?: number;
  env?: NodeJS.ProcessEnv;
  /** The platform client's tuning. @defaultValue {@link ERASURE_CLIENT} */
  client?: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
  /** How old a queued run must be before reconcile re-queues it. @defaultValue 0: at once */
  requeueGraceMs?: number;
  /** Attempts of one job kind at once. @defaultValue the runner's (10) */
  concurrency?: number;
}

/** The app's deps with the real inline runner; `attempts` and `backoffMs` short for tests. */
export function eraser(world: ErasureWorld, options: EraserOptions = {}): Eraser {
  const env = options.env ?? world.appEnv;
  const app = createAppDeps({ db: world.db.db, config: loadConfig(env), env, client: options.client ?? ERASURE_CLIENT });
  const ledger = new JobRunsLedger(world.db.db);
  const log = options.log ?? createLogger({ level: 'silent' });
  const runner = new InlineRunner({
    registry: world.registry,
    ledger,
    deps: jobDeps(app),
    log,
    attempts: options.attempts ?? 5,
    backoffMs: options.backoffMs ?? 20,
    requeueGraceMs: options.requeueGraceMs ?? 0,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const deps: ErasureActionDeps = {
    db: world.db.db,
    log,
    secretKey: () => app.secretKey!(),
    async dispatch(kind, runs) {
      for (const run of runs) await runner.add({ ...run, kind, scheduledFor: null });
    },
  };
  return {
    app,
    runner,
    deps,
    idle: () => runner.idle(),
    async runJob(kind, tenant = null) {
      const id = await enqueue({ registry: world.registry, ledger, dispatcher: runner }, kind, {}, { tenant });
      await runner.settled(id);
      const record = await ledger.get(id);
      if (record === undefined) throw new Error(`run ${id} vanished`);
      return record;
    },
    async close() {
      await runner.close();
      await app.close();
    },
  };
}

export interface SimProfile {
  id: number;
  email: string | null;
  mobile_phone: string | null;
}

/** The first `n` profiles the platform holds now. */
export async function someProfiles(sim: Simulator, n: number): Promise<SimProfile[]> {
  const out: SimProfile[] = [];
  for (let page = 1; out.length < n; page++) {
    const { body } = await simApi(sim, 'GET', `/profiles?page[size]=100&page[number]=${page}`);
    const data = (body as { data: SimProfile[] }).data;
    if (data.length === 0) break;
    out.push(...data);
  }
  return out.slice(0, n);
}

/**
 * The first `n` profiles the platform holds with an email and a phone, and no
 * erasure request in the ledger yet (the demo seeds requests for a few).
 */
export async function freshProfiles(world: ErasureWorld, n: number): Promise<SimProfile[]> {
  const taken = new Set((await world.db.db.selectFrom('erasure_requests').select('profile_id').execute()).map((r) => r.profile_id));
  const all = await someProfiles(world.sim, n + taken.size + 100);
  const out = all.filter((p) => p.email !== null && p.mobile_phone !== null && !taken.has(String(p.id)));
  if (out.length < n) throw new Error(`the simulator has only ${out.length} fresh profiles, ${n} wanted`);
  return out.slice(0, n);
}

/** Sets the simulator's fault settings (`POST /__sim/config`). */
export async function simConfig(sim: Simulator, settings: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.origin}/__sim/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
  if (res.status >= 300) throw new Error(`sim config answered ${res.status}: ${await res.text()}`);
}

/** Scripts faults for the next API requests, first in first out (`POST /__sim/faults`). */
export async function simFaults(sim: Simulator, faults: ScriptedFault[]): Promise<void> {
  const res = await fetch(`${sim.origin}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults }) });
  if (res.status >= 300) throw new Error(`sim faults answered ${res.status}: ${await res.text()}`);
}

/** Puts a profile back on the platform, as a restored backup would (`POST /__sim/profiles`). */
export async function simRestoreProfile(sim: Simulator, profile: { id: number; email?: string | null; mobile_phone?: string | null; transactions?: number }): Promise<void> {
  const res = await fetch(`${sim.origin}/__sim/profiles`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(profile) });
  if (res.status >= 300) throw new Error(`sim profiles answered ${res.status}: ${await res.text()}`);
}

/** How many answers of `status` the simulator gave on `route` (e.g. `DELETE /api/v3/profiles/{id}/purge`), or on every route. */
export function simCount(sim: Simulator, status: number, route?: string): number {
  const { requests } = sim.stats();
  return Object.entries(requests)
    .filter(([name]) => route === undefined || name === route)
    .reduce((n, [, byStatus]) => n + (byStatus[String(status)] ?? 0), 0);
}

export const PURGE_ROUTE = 'DELETE /api/v3/profiles/{id}/purge';

/** The tenant's erasure settings, set directly in the ledger (the CLI for them is built elsewhere). */
export async function setErasureSettings(db: Db, settings: { erasure_verify_window_s?: number; platform_rate_limit?: number | null; backup_window_days?: number; purge_method?: 'DELETE' | 'POST' }, tenant = TENANT): Promise<void> {
  await db.updateTable('tenants').set(settings).where('name', '=', tenant).execute();
}

/** The request row as the ledger holds it. */
export function requestRow(db: Db, id: number): Promise<ErasureRequest> {
  return db.selectFrom('erasure_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The erasure runs of a request, oldest first. */
export function runsOf(db: Db, id: number): Promise<{ idempotency_key: string; status: string; attempts: number; error: string | null }[]> {
  return db
    .selectFrom('job_runs')
    .select(['idempotency_key', 'status', 'attempts', 'error'])
    .where('kind', '=', 'erasure')
    .where(sql`payload->>'request_id'`, '=', String(id))
    .orderBy('id')
    .execute();
}

const COUNTED = ['erasure_requests', 'job_runs', 'erasure_events', 'audit_log', 'erasure_certificates'] as const;

/** Rows in each table an erasure action writes. */
export async function rowCounts(db: Db): Promise<Record<(typeof COUNTED)[number], number>> {
  const out = {} as Record<(typeof COUNTED)[number], number>;
  for (const table of COUNTED) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

export interface FleetEraser {
  /** The erasure actions, dispatching into BullMQ. */
  deps: ErasureActionDeps;
  fleets: Fleet[];
  transport: QueueTransport;
  close(): Promise<void>;
}

/**
 * `workers` fleets (as many worker processes would be) on one Redis prefix of
 * the test's own, each with the app's deps: the erasure runs go through
 * BullMQ, so a deferral is a job moved to delayed.
 */
export async function fleetEraser(world: ErasureWorld, options: { workers?: number; concurrency?: number; log?: Logger } = {}): Promise<FleetEraser> {
  const transport = testTransport();
  const log = options.log ?? createLogger({ level: 'silent' });
  const apps: OpenedAppDeps[] = [];
  const fleets: Fleet[] = [];
  for (let i = 0; i < (options.workers ?? 2); i++) {
    const app = createAppDeps({ db: world.db.db, config: loadConfig(world.appEnv), env: world.appEnv, client: ERASURE_CLIENT });
    apps.push(app);
    fleets.push(
      await Fleet.start({
        transport,
        registry: world.registry,
        ledger: new JobRunsLedger(world.db.db),
        deps: jobDeps(app),
        log,
        queues: ['erasure'],
        upsertSchedules: false,
        attempts: 5,
        backoffMs: 50,
        stalledIntervalMs: 5_000,
        lockDurationMs: 10_000,
        scheduleIntervalMs: 0,
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      }),
    );
  }
  const deps: ErasureActionDeps = {
    db: world.db.db,
    log,
    secretKey: () => apps[0]!.secretKey!(),
    async dispatch(kind, runs) {
      for (const run of runs) await fleets[0]!.queues.add({ ...run, kind, scheduledFor: null });
    },
  };
  return {
    deps,
    fleets,
    transport,
    async close() {
      for (const f of fleets) await f.close();
      for (const app of apps) await app.close();
      await cleanQueues(transport, world.registry);
    },
  };
}

/** Resolves once every request in `ids` has left received/purging/purged. */
export async function settledRequests(db: Db, ids: readonly number[], timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const open = await db.selectFrom('erasure_requests').select('id').where('id', 'in', [...ids]).where('status', 'in', ['received', 'purging', 'purged']).execute();
    if (open.length === 0) return;
    if (Date.now() > end) throw new Error(`${open.length} erasure request(s) still open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs request `id`'s erasure job once more, as a duplicate delivery, a
 * reconcile or a second worker would: a new run in the ledger, dispatched.
 * Returns the run's key.
 */
export async function runAgain(db: Db, deps: ErasureActionDeps, id: number, tenant = TENANT): Promise<string> {
  const run = newRunId();
  await createRuns(db, 'erasure', [{ runKey: run, tenant, payload: { request_id: id } }], new Date());
  await deps.dispatch('erasure', [{ id: run, tenant, payload: { request_id: id } }]);
  return run;
}

/** The engineers' emails about request `id` (`failed`, `reappeared`) in the world's outbox. */
export async function requestEmails(world: ErasureWorld, id: number, kind: 'failed' | 'reappeared', tenant = TENANT): Promise<ParsedMail[]> {
  return (await world.outbox()).filter((m) => m.subject === `[Warden] ${tenant}: erasure request #${id} ${kind}`);
}

/** The world's app env without the demo tenant's platform token variable: a set-up error for every platform call. */
export function withoutToken(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out[DEMO_TOKEN_ENV];
  return out;
}

/** A logger at `level` writing to memory: its lines, parsed. */
export function capturedLog(level = 'debug'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level }, sink), lines };
}

export { simApi };
