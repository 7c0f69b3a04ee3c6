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
import type { Simulator, SimulatorOptions } from '../../../src/omneo/simulator/server.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import { TEST_SECRET_KEY } from '../../support/db.js';
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
  close(): Promise<void>;
}

/** The platform client for erasure tests: no in-call retry, a short timeout, a short backoff. */
export const ERASURE_CLIENT = { maxRetries: 1, timeoutMs: 1_000, backoffBaseMs: 10 } as const;

/** The app's deps with the real inline runner; `attempts` and `backoffMs` short for tests. */
export function eraser(world: ErasureWorld, options: { log?: Logger; attempts?: number; backoffMs?: number; env?: NodeJS.ProcessEnv } = {}): Eraser {
  const env = options.env ?? world.appEnv;
  const app = createAppDeps({ db: world.db.db, config: loadConfig(env), env, client: ERASURE_CLIENT });
  const ledger = new JobRunsLedger(world.db.db);
  const log = options.log ?? createLogger({ level: 'silent' });
  const runner = new InlineRunner({ registry: world.registry, ledger, deps: jobDeps(app), log, attempts: options.attempts ?? 5, backoffMs: options.backoffMs ?? 20 });
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
    async close() {
      await runner.close();
      await app.close();
    },
  };
}

/** A call to the simulator's API as the tenant's integration. */
export async function simApi(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
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

/** Sets the simulator's fault settings (`POST /__sim/config`). */
export async function simConfig(sim: Simulator, settings: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.origin}/__sim/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
  if (res.status >= 300) throw new Error(`sim config answered ${res.status}: ${await res.text()}`);
}
