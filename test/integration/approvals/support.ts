/**
 * Approvals test support, over the audit jobs' world (test/integration/jobs/support.ts:
 * the simulator's demo tenant over HTTP, a Postgres schema of the test's own,
 * an outbox folder): the tenant's admins, the audits that open approvals,
 * decisions through the app-layer action with remediation run by the real
 * inline runner, and the simulator read and steered over HTTP.
 */
import { expect } from 'vitest';
import { createAppDeps, jobDeps, type OpenedAppDeps } from '../../../src/app/deps.js';
import { decideApprovals, type ApprovalActionDeps, type DecideInput, type DecisionOutcome } from '../../../src/app/approvals.js';
import { addPerson } from '../../../src/app/people.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { sql } from 'kysely';
import { listApprovals, lockTenantRemovals } from '../../../src/db/approvals.repository.js';
import { inTransaction, type Db } from '../../../src/db/executor.js';
import type { Approval, Person } from '../../../src/db/database.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import { simApi } from '../../support/sim-api.js';
import type { ScriptedFault, Simulator } from '../../../src/omneo/simulator/server.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { TEST_SECRET_KEY } from '../../support/db.js';
import { startWorld, TENANT, type JobsWorld } from '../jobs/support.js';
import { FAST_CLIENT } from './fast-client.js';

export { FAST_CLIENT };

export { TENANT };
export const PUBLIC_URL = 'https://warden.test';
/** The demo's admin (DEMO_PEOPLE) and a second one added here. */
export const ADMIN = 'admins@demo.example';
export const SECOND_ADMIN = 'second.admin@demo.example';


export interface ApprovalsWorld extends JobsWorld {
  /** The world's env plus a public URL and a secret key: approval emails carry signed links. */
  appEnv: NodeJS.ProcessEnv;
  admin: Person;
  second: Person;
  /** Runs the two audits that open approvals (access, then tokens); each must succeed. */
  audit(): Promise<void>;
  /** The tenant's approvals, oldest first. */
  approvals(): Promise<Approval[]>;
  /** The approval of `rule` about `subjectId` (the newest, whatever its status). */
  approvalOf(rule: string, subjectId: string): Promise<Approval>;
}

export async function startApprovalsWorld(): Promise<ApprovalsWorld> {
  const world = await startWorld('postgres', { outbox: true });
  const appEnv = { ...world.env, WARDEN_PUBLIC_URL: PUBLIC_URL, WARDEN_SECRET_KEY: TEST_SECRET_KEY };
  const admin = (await findPersonByEmail(world.db.db, ADMIN))!;
  const second = await addPerson(world.db.db, { email: SECOND_ADMIN, name: 'Sam Second', roles: ['admin'] }, 'test');
  return {
    ...world,
    appEnv,
    admin,
    second,
    async audit() {
      for (const job of ['stale-accounts', 'token-hygiene']) {
        const run = await world.run(job, { env: appEnv });
        expect(run.status, `${job}: ${run.error ?? ''}`).toBe('succeeded');
      }
    },
    approvals: () => listApprovals(world.db.db, { tenant: TENANT }),
    async approvalOf(rule, subjectId) {
      const all = (await listApprovals(world.db.db, { tenant: TENANT })).filter((a) => a.rule === rule && a.subject_id === subjectId);
      const last = all.at(-1);
      if (last === undefined) throw new Error(`no approval of ${rule} for ${subjectId}`);
      return last;
    },
  };
}

export interface Remediator {
  app: OpenedAppDeps;
  runner: InlineRunner;
  ledger: JobRunsLedger;
  /** What decideApprovals needs, enqueueing into the inline runner. */
  deps: ApprovalActionDeps;
  /** decideApprovals as `person`, then waits for every remediation run to end. */
  decide(person: Person, input: Omit<DecideInput, 'via'> & { via?: DecideInput['via'] }): Promise<DecisionOutcome[]>;
  /** Waits until nothing runs or waits for a retry. */
  idle(): Promise<void>;
  /** With `hold`: dispatches the runs decisions recorded, then waits for them to end. */
  release(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The app's deps with the real inline runner (the same executeRun as the
 * fleet): three attempts, a short backoff, and the client of {@link FAST_CLIENT}.
 */
export function remediator(
  world: ApprovalsWorld,
  options: {
    log?: Logger;
    attempts?: number;
    /** Record the runs of decisions in the ledger but dispatch them only on release() (to change the world in between). */
    hold?: boolean;
    /** What the app reads as its environment (e.g. an SMTP server that is down). @defaultValue the world's `appEnv` */
    env?: NodeJS.ProcessEnv;
  } = {},
): Remediator {
  const env = options.env ?? world.appEnv;
  const app = createAppDeps({ db: world.db.db, config: loadConfig(env), env, client: FAST_CLIENT });
  const ledger = new JobRunsLedger(world.db.db);
  const log = options.log ?? createLogger({ level: 'silent' });
  const runner = new InlineRunner({ registry: world.registry, ledger, deps: jobDeps(app), log, attempts: options.attempts ?? 3, backoffMs: 10 });
  const held: Parameters<InlineRunner['add']>[0][] = [];
  const dispatcher = options.hold === true ? { add: (run: (typeof held)[number]) => Promise.resolve(void held.push(run)) } : runner;
  const deps: ApprovalActionDeps = {
    db: world.db.db,
    log,
    enqueue: (kind, payload, tenant) => enqueue({ registry: world.registry, ledger, dispatcher }, kind, payload, { tenant }),
  };
  return {
    app,
    runner,
    ledger,
    deps,
    async decide(person, input) {
      const out = await decideApprovals(deps, person, { via: 'cli', ...input });
      await runner.idle();
      return out;
    },
    idle: () => runner.idle(),
    async release() {
      for (const run of held.splice(0)) await runner.add(run);
      await runner.idle();
    },
    async close() {
      await runner.close();
      await app.close();
    },
  };
}

// The simulator, over HTTP

/** Whether the platform still answers for the user. */
export async function userExists(sim: Simulator, id: string): Promise<boolean> {
  const { status } = await simApi(sim, 'GET', `/users/${id}`);
  if (status !== 200 && status !== 404) throw new Error(`GET /users/${id} answered ${status}`);
  return status === 200;
}

/** The ids of the tokens the platform lists. */
export async function tokenIds(sim: Simulator): Promise<string[]> {
  const { status, body } = await simApi(sim, 'GET', '/auth/access-tokens');
  if (status !== 200) throw new Error(`GET /auth/access-tokens answered ${status}`);
  return (body as { id: string }[]).map((t) => String(t.id));
}

/** Faults for the next API requests, first in first out (`POST /__sim/faults`). */
export async function scriptFaults(sim: Simulator, faults: ScriptedFault[]): Promise<void> {
  const res = await fetch(`${sim.origin}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults }) });
  if (res.status !== 204) throw new Error(`scripting faults answered ${res.status}`);
}

/** The simulator's answers to one route by status (`GET /__sim/stats`), e.g. `DELETE /users/{id}`. */
export async function answersTo(sim: Simulator, route: string): Promise<Record<string, number>> {
  const res = await fetch(`${sim.origin}/__sim/stats`);
  const stats = (await res.json()) as { requests: Record<string, Record<string, number>> };
  const [method, path] = route.split(' ');
  return stats.requests[`${method} /api/v3${path}`] ?? {};
}

/** Sets a token on the simulator as the platform's own admins would (`POST /__sim/tokens`): one of any user, or an expiry. */
export async function setSimToken(sim: Simulator, token: { id: string; user_id?: number | null; name?: string; scopes?: string[]; expires_at?: string | null }): Promise<void> {
  const res = await fetch(`${sim.origin}/__sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(token) });
  if (res.status !== 200) throw new Error(`setting token ${token.id} answered ${res.status}: ${await res.text()}`);
}

// Races

/** How many other sessions wait for the tenant's removals lock ({@link lockTenantRemovals}). */
async function lockWaiters(db: Db, tenant: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_locks l
    where l.locktype = 'advisory' and not l.granted
      and l.database = (select oid from pg_database where datname = current_database())
      and ((l.classid::bigint << 32) | l.objid::bigint) = hashtext(current_schema() || ${`:warden:approvals:${tenant}`})::bigint`.execute(db);
  return rows[0]!.n;
}

/**
 * Starts `race` while holding the tenant's removals lock, and lets it go once
 * `waiters` sessions wait for it: what they read before taking the lock they
 * all read before any of them wrote, as two admins clicking at the same moment.
 * Resolves to what each racer ended with.
 */
export async function raceUnderTenantLock<T>(db: Db, tenant: string, waiters: number, racers: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  let raced!: Promise<PromiseSettledResult<T>[]>;
  await inTransaction(db, async (trx) => {
    await lockTenantRemovals(trx, tenant);
    raced = Promise.allSettled(racers.map((r) => r()));
    let settled = false;
    void raced.then(() => (settled = true));
    const deadline = Date.now() + 10_000;
    while ((await lockWaiters(trx, tenant)) < waiters) {
      // A racer that ended without waiting: the race is lost either way; the caller sees how it ended.
      if (settled) return;
      if (Date.now() > deadline) throw new Error(`${waiters} sessions never waited for the tenant's removals lock`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return raced;
}

export { simApi };
