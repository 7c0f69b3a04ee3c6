// Remediation on the BullMQ fleet (real Redis, a prefix and logical database
// of this file's own) against the simulator over HTTP: executed exactly once
// with two workers racing for one approval, with a worker process killed while
// its DELETE is in flight, with Redis flushed after the approval, and with an
// approval whose run was never enqueued; the removals of a tenant's last two
// admins on two workers at once are carried out one after the other, the
// second refused; the transport carries the approval's id only and no log
// line names a person or carries a token.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideApprovals, type ApprovalActionDeps } from '../../../src/app/approvals.js';
import { createAppDeps, jobDeps, type OpenedAppDeps } from '../../../src/app/deps.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { recheckApproval } from '../../../src/approvals/remediate.js';
import { loadConfig } from '../../../src/config.js';
import { approvalEvents, getApproval } from '../../../src/db/approvals.repository.js';
import type { Approval } from '../../../src/db/database.js';
import { requireTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import type { QueueTransport } from '../../../src/queue/connection.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { Fleet, QueueSet } from '../../../src/queue/fleet.js';
import { transportJobId } from '../../../src/queue/run-id.js';
import { TEST_DATABASE_URL } from '../../support/db.js';
import { cleanQueues, eventually, flushTransportDb, killChildren, spawnWorkerChild, testTransport, type WorkerChild } from '../../support/queue.js';
import type { RemediationChildConfig } from './remediation-worker.child.js';
import { answersTo, FAST_CLIENT, scriptFaults, simApi, startApprovalsWorld, TENANT, userExists, type ApprovalsWorld } from './support.js';

/** This file's Redis logical database (flushed by one test; no other test file uses it). */
const OWN_DB = 13;
const RETRY = { attempts: 3, backoffMs: 50 };
/** Short locks, so a killed worker's job is taken over within seconds. */
const LOCK_MS = 2_000;
const STALLED_MS = 1_000;
const DELETE_USER = 'DELETE /users/{id}';

let world: ApprovalsWorld;
let transport: QueueTransport;
let queues: QueueSet;
let ledger: JobRunsLedger;
let app: OpenedAppDeps;
const fleets: Fleet[] = [];
const children: WorkerChild[] = [];
/** Every log line of the in-process fleets and the children. */
let logs: string[];

beforeEach(async () => {
  world = await startApprovalsWorld();
  await world.audit();
  transport = testTransport(OWN_DB);
  queues = new QueueSet(transport, world.registry, RETRY, []);
  ledger = new JobRunsLedger(world.db.db);
  app = createAppDeps({ db: world.db.db, config: loadConfig(world.appEnv), env: world.appEnv, client: FAST_CLIENT });
  logs = [];
});

afterEach(async () => {
  await killChildren(children.splice(0));
  for (const f of fleets.splice(0)) await f.close();
  await queues?.close();
  await cleanQueues(transport, world.registry);
  await app?.close();
  await world?.close();
});

/** A worker in this process: its own BullMQ connections, the app's jobs, its log lines kept. */
async function startFleet(): Promise<Fleet> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const fleet = await Fleet.start({
    transport,
    registry: world.registry,
    queues: ['remediation', 'reconcile'],
    ledger,
    deps: jobDeps(app),
    log: createLogger({ level: 'debug' }, sink),
    upsertSchedules: false,
    concurrency: 1,
    stalledIntervalMs: STALLED_MS,
    lockDurationMs: LOCK_MS,
    drainTimeoutMs: 5_000,
    ...RETRY,
  });
  fleets.push(fleet);
  return fleet;
}

/** A worker process (remediation-worker.child.ts); resolves once it runs. */
async function spawnWorker(): Promise<ChildProcess> {
  const config: RemediationChildConfig = {
    transport,
    databaseUrl: TEST_DATABASE_URL,
    schema: world.db.schema!,
    env: Object.fromEntries(Object.entries(world.appEnv).filter((e): e is [string, string] => typeof e[1] === 'string')),
    lockDurationMs: LOCK_MS,
    stalledIntervalMs: STALLED_MS,
    ...RETRY,
  };
  const child = spawnWorkerChild(config, { entry: path.join(import.meta.dirname, 'remediation-worker.child.ts') });
  children.push(child);
  await child.waitFor(/^ready \d+$/m, 30_000);
  return child.proc;
}

/** Decisions through the app-layer action, their runs enqueued on BullMQ. */
function decisionDeps(enqueueFails = false): ApprovalActionDeps {
  return {
    db: world.db.db,
    enqueue: (kind, payload, tenant) =>
      enqueueFails ? Promise.reject(new Error('Redis unreachable')) : enqueue({ registry: world.registry, ledger, dispatcher: queues }, kind, payload, { tenant }),
  };
}

async function approve(a: Approval, enqueueFails = false): Promise<string | null> {
  const [outcome] = await decideApprovals(decisionDeps(enqueueFails), world.admin, { ids: [a.id], decision: 'approved', via: 'cli' });
  expect(outcome!.outcome).toBe('approved');
  return outcome!.run;
}

/**
 * The counts of a reconcile run once it has ended. The demo's ledger holds erasure
 * requests still in flight, which reconcile gives runs too (`erasures_enqueued`,
 * requeued with the rest): `requeued` is given here without them.
 */
async function reconciled(runId: string): Promise<Record<string, number>> {
  const run = await eventually(async () => {
    const r = await ledger.get(runId);
    return r !== undefined && r.status !== 'queued' && r.status !== 'running' ? r : undefined;
  }, 20_000, 'reconcile to end');
  const counts = { ...(run.counts as Record<string, number>) };
  if (counts.requeued !== undefined) counts.requeued -= counts.erasures_enqueued ?? 0;
  return counts;
}

/** Waits until the approval has ended (verified, refused or failed) and none of its runs is left queued or running. */
async function settled(a: Approval, timeoutMs = 30_000): Promise<Approval> {
  return eventually(
    async () => {
      const now = await getApproval(world.db.db, a.id);
      if (!['verified', 'refused', 'failed'].includes(now.status)) return undefined;
      const open = (await runsOf(a)).filter((r) => r.status === 'queued' || r.status === 'running');
      return open.length === 0 ? now : undefined;
    },
    timeoutMs,
    `approval ${a.id} to end`,
  );
}

const runsOf = async (a: Approval) =>
  (await world.db.db.selectFrom('job_runs').selectAll().where('kind', '=', 'remediation').orderBy('id').execute()).filter(
    (r) => (r.payload as { approval_id?: number }).approval_id === a.id,
  );

/** How many API requests a re-check makes (so a scripted fault lands on the act). */
async function recheckRequests(a: Approval): Promise<number> {
  const total = async () => ((await (await fetch(`${world.sim.origin}/__sim/stats`)).json()) as { total: number }).total;
  const before = await total();
  const tenant = await requireTenant(world.db.db, TENANT);
  expect((await recheckApproval({ db: world.db.db, env: app.env, allowPrivateNetworks: app.allowPrivateNetworks, client: FAST_CLIENT }, tenant, a, new Date())).verdict).toBe('holds');
  return (await total()) - before;
}

/** Nothing personal or secret in any log line: no staff email, no platform token. */
function expectCleanLogs(): void {
  const all = logs.join('') + children.map((c) => c.output()).join('');
  expect(all.length).toBeGreaterThan(0);
  for (const banned of ['@demo.example', world.sim.token, 'gus.hill', 'Gus Hill', 'bob.stone']) expect(all.includes(banned), banned).toBe(false);
}

describe('remediation on the fleet', () => {
  it('two workers racing for one approval: one DELETE, one verification', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    // Every answer slowed down, so that the two runs overlap.
    await fetch(`${world.sim.origin}/__sim/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 150 }) });
    await approve(gus);
    // A second run of the same approval (a double submit, a reconcile racing the first): both are delivered.
    await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'remediation', { approval_id: gus.id }, { tenant: TENANT });
    await Promise.all([startFleet(), startFleet()]);
    const done = await settled(gus);
    expect(done.status).toBe('verified');
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    expect(await userExists(world.sim, '9')).toBe(false);
    const runs = await runsOf(gus);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(runs.map((r) => r.counts).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([{ skipped: 1 }, { verified: 1 }]);
    // They did overlap: the second found the first acting on it, not already done.
    expect(logs.join('') + children.map((c) => c.output()).join('')).toContain('another run of this approval carries it out');
    const trail = (await approvalEvents(world.db.db, gus.id)).map((e) => e.event);
    expect(trail.filter((e) => e === 'executed' || e === 'verified' || e === 'failed')).toEqual(['executed', 'verified']);
    expectCleanLogs();
  });

  it('two admins’ removals on two workers at once: one is carried out, the other waits for it and is refused as the last admin’s', async () => {
    const bob = await world.approvalOf('ACC-01', '2');
    const gus = await world.approvalOf('ACC-01', '9');
    // Both approved while the tenant had four admins (three others each, as the audit measured)…
    const runs = [await approve(bob), await approve(gus)];
    // …then Ann and Hal leave by hand: Bob and Gus are the last two, and removing both would leave none.
    for (const id of ['1', '10']) expect((await simApi(world.sim, 'DELETE', `/users/${id}`)).status).toBe(204);
    // Every answer slowed down, so that the two runs overlap.
    await fetch(`${world.sim.origin}/__sim/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 150 }) });
    await Promise.all([startFleet(), startFleet()]);
    const ended = [await settled(bob), await settled(gus)];
    expect(ended.map((a) => a.status).sort()).toEqual(['refused', 'verified']);
    const removed = ended.find((a) => a.status === 'verified')!;
    const kept = ended.find((a) => a.status === 'refused')!;
    expect((kept.evidence as { recheck: unknown }).recheck).toMatchObject({ verdict: 'guarded', reason: expect.stringMatching(/last admin/) as unknown });
    // Ann's and Hal's by hand, and one of the two.
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 3 });
    expect([await userExists(world.sim, '2'), await userExists(world.sim, '9')].sort()).toEqual([false, true]);
    expect(await userExists(world.sim, kept.subject_id)).toBe(true);
    // They ran at once (the refused one's run started before the other's ended), and the refused one was
    // re-checked only after the other was verified.
    const row = async (run: string | null) => world.db.db.selectFrom('job_runs').select(['status', 'started_at', 'finished_at']).where('idempotency_key', '=', run!).executeTakeFirstOrThrow();
    const [keptRun, removedRun] = [await row(runs[ended.indexOf(kept)]!), await row(runs[ended.indexOf(removed)]!)];
    expect([keptRun.status, removedRun.status]).toEqual(['succeeded', 'succeeded']);
    expect(keptRun.started_at!.getTime()).toBeLessThan(removedRun.finished_at!.getTime());
    const recheck = (await approvalEvents(world.db.db, kept.id)).filter((e) => e.event === 'recheck');
    expect(recheck).toHaveLength(1);
    expect(recheck[0]!.at.getTime()).toBeGreaterThanOrEqual(removed.verified_at!.getTime());
    expectCleanLogs();
  });

  it('a worker killed while its DELETE is in flight: the run is taken over and verified, with one DELETE that deleted', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    const n = await recheckRequests(gus);
    // The act's DELETE is answered slowly: the worker dies waiting for it (the platform carries it out anyway).
    await scriptFaults(world.sim, [...Array.from({ length: n }, () => ({})), { delayMs: 1_500 }]);
    const child = await spawnWorker();
    const runId = await approve(gus);
    await eventually(async () => ((await approvalEvents(world.db.db, gus.id)).some((e) => e.event === 'recheck') ? true : undefined), 20_000, 'the re-check');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await children[0]!.exited;
    expect((await getApproval(world.db.db, gus.id)).status).toBe('approved');
    await startFleet();
    const done = await settled(gus);
    expect(done.status).toBe('verified');
    const deletes = await answersTo(world.sim, DELETE_USER);
    expect(deletes[204]).toBe(1);
    expect(Object.keys(deletes).filter((s) => s !== '204' && s !== '404')).toEqual([]);
    expect((await runsOf(gus)).map((r) => [r.idempotency_key, r.status])).toEqual([[runId, 'succeeded']]);
    // Re-checked twice: by the killed worker, and by the one that took the run over.
    expect((await approvalEvents(world.db.db, gus.id)).filter((e) => e.event === 'recheck')).toHaveLength(2);
    expectCleanLogs();
  });

  it('Redis flushed after the approval: reconcile re-enqueues the run from the ledger and it is verified', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    const runId = (await approve(gus))!;
    // What the transport carries: the tenant and the approval's id, nothing else.
    const job = await queues.queue('remediation').getJob(transportJobId(runId));
    expect(job?.data).toEqual({ tenant: TENANT, payload: { approval_id: gus.id } });
    expect((await runsOf(gus)).map((r) => r.payload)).toEqual([{ approval_id: gus.id }]);
    await flushTransportDb(transport);
    expect(await queues.queue('remediation').getJob(transportJobId(runId))).toBeUndefined();
    await startFleet();
    // The job is gone: nothing happens until reconcile.
    await new Promise((r) => setTimeout(r, 500));
    expect((await getApproval(world.db.db, gus.id)).status).toBe('approved');
    const reconcile = await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
    const done = await settled(gus);
    expect(done.status).toBe('verified');
    expect(await reconciled(reconcile)).toMatchObject({ requeued: 1 });
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    expect((await runsOf(gus)).map((r) => [r.idempotency_key, r.status])).toEqual([[runId, 'succeeded']]);
    expectCleanLogs();
  });

  /** A run of the approval's remediation as a worker killed on its last attempt leaves it: the queue gave up, the ledger row failed. */
  async function dieOnLastAttempt(runId: string): Promise<void> {
    await queues.queue('remediation').remove(transportJobId(runId));
    expect(await ledger.markRunning(runId, RETRY.attempts, 50, 'dead-worker')).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(await ledger.settle(runId, 'failed', 'job stalled more than allowable limit')).toBe(true);
  }

  it('an approval whose run died on its last attempt gets one more run from reconcile, which re-checks and verifies it', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    await dieOnLastAttempt((await approve(gus))!);
    await startFleet();
    const reconcile = await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
    const done = await settled(gus);
    expect(done.status).toBe('verified');
    expect(await reconciled(reconcile)).toMatchObject({ remediations_enqueued: 1 });
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    expect(await userExists(world.sim, '9')).toBe(false);
  });

  it('an approval whose two runs both ended without finishing it is failed by reconcile, and the admins told once', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    await dieOnLastAttempt((await approve(gus))!);
    // The second run reconcile would have given it died the same way.
    const second = randomUUID();
    await ledger.createRun({ id: second, kind: 'remediation', tenant: gus.tenant, payload: { approval_id: gus.id }, scheduledFor: null });
    expect(await ledger.markRunning(second, RETRY.attempts, 50, 'dead-worker')).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(await ledger.settle(second, 'failed', 'job stalled more than allowable limit')).toBe(true);
    await startFleet();
    const reconcile = await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
    const done = await settled(gus);
    expect(done.status).toBe('failed');
    expect(await reconciled(reconcile)).toMatchObject({ approvals_failed: 1 });
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({});
    const told = async () => (await world.outbox()).filter((m) => (m.subject ?? '').includes(`approval #${gus.id} failed`));
    await eventually(async () => ((await told()).length === 1 ? true : undefined), 10_000, 'the failure email');
    // The next reconcile has nothing left to fail, and tells nobody again.
    const again = await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
    await eventually(async () => ((await ledger.get(again))!.status === 'succeeded' ? true : undefined), 10_000, 'the second reconcile');
    expect((await ledger.get(again))!.counts).not.toHaveProperty('approvals_failed');
    expect((await ledger.get(again))!.counts).not.toHaveProperty('outcome_emails');
    expect(await told()).toHaveLength(1);
    expect(await userExists(world.sim, '9')).toBe(true);
  });

  it('an approval whose run was never enqueued gets one from reconcile, and is verified', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    expect(await approve(gus, true)).toBeNull();
    expect(await runsOf(gus)).toEqual([]);
    await startFleet();
    const reconcile = await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
    const done = await settled(gus);
    expect(done.status).toBe('verified');
    expect(await reconciled(reconcile)).toMatchObject({ remediations_enqueued: 1, requeued: 1 });
    expect((await runsOf(gus)).map((r) => [r.status, r.payload])).toEqual([['succeeded', { approval_id: gus.id }]]);
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    // A second reconcile finds nothing to do.
    const again = await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
    await eventually(async () => ((await ledger.get(again))!.status === 'succeeded' ? true : undefined), 10_000, 'the second reconcile');
    expect((await ledger.get(again))!.counts).not.toHaveProperty('remediations_enqueued');
    expect(await runsOf(gus)).toHaveLength(1);
    expectCleanLogs();
  });
});
