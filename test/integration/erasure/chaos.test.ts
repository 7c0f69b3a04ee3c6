// The erasure pipeline's bounded chaos run (issue 12): 300 requests for the
// simulator's demo tenant imported through the app action onto the real
// BullMQ fleet (a Redis prefix of this test's own), two worker processes, one
// SIGKILLed half-way, the prefix's keys deleted once (what a FLUSHALL does to
// Warden, without touching anyone else's keys on the shared Redis), reconcile
// bringing the lost jobs back; the simulator answers 10% of calls with a 5xx,
// shows a purge only 300 ms after it, and drops 2% of purges (a success that
// purged nothing). At the end every request is verified, or failed only where
// the simulator kept refusing; none is lost; each verified request has exactly
// one certificate; no email and no log line carries an identifier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createAppDeps, type OpenedAppDeps } from '../../../src/app/deps.js';
import { importErasures, type ErasureActionDeps } from '../../../src/app/erasures.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log/logger.js';
import type { SimulatorStats } from '../../../src/omneo/simulator/server.js';
import type { QueueTransport } from '../../../src/queue/connection.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { TEST_DATABASE_URL } from '../../support/db.js';
import { cleanQueues, eventually, killChildren, spawnWorkerChild, testTransport, type WorkerChild } from '../../support/queue.js';
import type { ErasureChildConfig } from './erasure-worker.child.js';
import { ERASURE_CLIENT, simApi, simConfig, someProfiles, startErasureWorld, TENANT, type ErasureWorld, type SimProfile } from './support.js';

const REQUESTS = 300;
/** Short locks, so the killed worker's runs are taken over within seconds (long enough for a loaded machine's event loop). */
const LOCK_MS = 4_000;
const STALLED_MS = 1_000;
const BACKOFF_MS = 50;
/** The tenant's verification window: short, so a dropped purge gets its second round (and may fail) within the run. */
const VERIFY_WINDOW_S = 3;
const ENDED = ['verified', 'not_found', 'failed'] as const;

let world: ErasureWorld;
let transport: QueueTransport;
let queues: QueueSet;
let app: OpenedAppDeps;
const children: WorkerChild[] = [];

beforeAll(async () => {
  // More synthetic profiles (ids from 1001) than the demo's 50: the run takes its 300 among them.
  world = await startErasureWorld({ simulator: { profiles: REQUESTS + 20 } });
  await world.db.db.updateTable('tenants').set({ erasure_verify_window_s: VERIFY_WINDOW_S }).where('name', '=', TENANT).execute();
  transport = testTransport();
  queues = new QueueSet(transport, world.registry, { backoffMs: BACKOFF_MS }, []);
  app = createAppDeps({ db: world.db.db, config: loadConfig(world.appEnv), env: world.appEnv });
}, 60_000);

afterAll(async () => {
  await killChildren(children.splice(0));
  await queues?.close();
  if (transport !== undefined) await cleanQueues(transport, world.registry);
  await app?.close();
  await world?.close();
});

/** A worker process (erasure-worker.child.ts); resolves once its workers run. */
async function spawnWorker(): Promise<WorkerChild> {
  const config: ErasureChildConfig = {
    transport,
    databaseUrl: TEST_DATABASE_URL,
    schema: world.db.schema!,
    env: Object.fromEntries(Object.entries(world.appEnv).filter((e): e is [string, string] => typeof e[1] === 'string')),
    client: ERASURE_CLIENT,
    concurrency: 10,
    lockDurationMs: LOCK_MS,
    stalledIntervalMs: STALLED_MS,
    backoffMs: BACKOFF_MS,
  };
  const child = spawnWorkerChild(config, { entry: `${import.meta.dirname}/erasure-worker.child.ts` });
  children.push(child);
  await child.waitFor(/^ready \d+$/m, 30_000);
  return child;
}

/**
 * Deletes every key under the transport's prefix at once (one UNLINK of all
 * the keys a SCAN found): the test's share of a FLUSHALL. Resolves to how
 * many keys went.
 */
async function flushPrefix(t: QueueTransport): Promise<number> {
  const redis = new Redis(t.url);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${t.prefix}:*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys.length === 0 ? 0 : await redis.unlink(...keys);
  } finally {
    redis.disconnect();
  }
}

/** The run's requests as the ledger has them now. */
function requestsOf(ids: readonly number[]) {
  return world.db.db.selectFrom('erasure_requests').select(['id', 'profile_id', 'status', 'purge_rounds', 'identifiers', 'identifier_kinds', 'error']).where('id', 'in', ids).execute();
}

async function endedCount(ids: readonly number[]): Promise<number> {
  const row = await world.db.db
    .selectFrom('erasure_requests')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('id', 'in', ids)
    .where('status', 'in', [...ENDED])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The CSV an engineer would hand over: most rows with the email and the phone, some with the email only, some with neither. */
function csvOf(profiles: readonly SimProfile[]): string {
  const rows = profiles.map((p, i) => {
    const email = i % 10 === 9 ? '' : p.email!;
    const phone = i % 10 === 9 || i % 7 === 3 ? '' : p.mobile_phone!;
    return `${p.id},CHAOS-${i},${email},${phone}`;
  });
  return ['profile_id,reference,email,phone', ...rows].join('\n');
}

describe('erasure chaos', () => {
  it('300 requests, a worker SIGKILLed half-way, Redis flushed, 10% errors, purge lag and 2% dropped purges: every request ends, proven or failed where the platform kept refusing, once', async () => {
    const profiles = (await someProfiles(world.sim, REQUESTS + 20)).filter((p) => p.id >= 1001).slice(0, REQUESTS);
    expect(profiles).toHaveLength(REQUESTS);
    expect(profiles.every((p) => p.email !== null && p.mobile_phone !== null)).toBe(true);
    await simConfig(world.sim, { errorRate: 0.1, purgeLagMs: 300, purgeDropRate: 0.02 });

    const [victim, survivor] = await Promise.all([spawnWorker(), spawnWorker()]);
    const deps: ErasureActionDeps = {
      db: world.db.db,
      log: createLogger({ level: 'silent' }),
      secretKey: () => app.secretKey!(),
      dispatch: (kind, runs) => queues.addBulk(kind, runs),
    };
    const imported = await importErasures(deps, { tenant: TENANT, text: csvOf(profiles), source: 'chaos.csv' }, 'cli:test');
    expect(imported).toMatchObject({ rows: REQUESTS, created: REQUESTS, existing: 0, skipped: [] });
    const ids = imported.ids;

    // Half-way: the victim dies with runs in its hands (its leases are live, its BullMQ locks held).
    await eventually(async () => ((await endedCount(ids)) >= REQUESTS / 2 ? true : undefined), 45_000, 'half of the requests ended');
    victim.proc.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    // Redis loses Warden's data: every queued, delayed (a verification waiting) and active job of the test's prefix.
    expect(await flushPrefix(transport)).toBeGreaterThan(0);
    expect(await endedCount(ids)).toBeLessThan(REQUESTS);

    // reconcile (its schedule gone with the flush, so enqueued by hand) puts the lost runs back from the ledger.
    const ledger = new JobRunsLedger(world.db.db);
    const rec = await enqueue({ registry: world.registry, ledger, dispatcher: queues }, 'reconcile', {}, { tenant: null });
    const reconciled = await eventually(async () => {
      const run = await ledger.get(rec);
      return run?.status === 'succeeded' || run?.status === 'failed' ? run : undefined;
    }, 20_000, 'reconcile');
    expect(reconciled.status).toBe('succeeded');
    expect(reconciled.counts.requeued).toBeGreaterThan(0);

    // The survivor finishes the rest alone.
    await eventually(async () => ((await endedCount(ids)) === REQUESTS ? true : undefined), 45_000, 'every request ended');
    await simConfig(world.sim, { errorRate: 0, purgeLagMs: 0, purgeDropRate: 0 });
    const stats = (await (await fetch(`${world.sim.origin}/__sim/stats`)).json()) as SimulatorStats;
    const dropped = new Set(stats.dropped_purge_profile_ids.map(String));

    // None lost: 300 requests, each at an end.
    const rows = await requestsOf(ids);
    expect(rows).toHaveLength(REQUESTS);
    expect(rows.filter((r) => !(ENDED as readonly string[]).includes(r.status))).toEqual([]);
    // The platform never lacked any of them, so none is not_found.
    expect(rows.filter((r) => r.status === 'not_found')).toEqual([]);
    // Proven: the sealed identifiers are wiped. A failed request keeps them sealed: a retry searches by them again.
    expect(rows.filter((r) => r.status !== 'failed' && r.identifiers !== null).map((r) => r.id)).toEqual([]);
    // A second round only where a purge was dropped (a carried-out one shows within 300 ms, well inside the window)…
    for (const r of rows.filter((x) => x.purge_rounds > 1)) expect(dropped.has(r.profile_id), `request ${r.id} had a second round`).toBe(true);
    // …and failed only where the platform kept refusing: dropped purges, both rounds, the profile still there.
    const failed = rows.filter((r) => r.status === 'failed');
    for (const r of failed) {
      expect(dropped.has(r.profile_id), `request ${r.id} failed: ${r.error}`).toBe(true);
      expect(r.purge_rounds).toBe(2);
      expect(r.error).toMatch(/still not proven gone after 2 purge rounds/);
      expect((await simApi(world.sim, 'GET', `/profiles/${r.profile_id}`)).status).toBe(200);
      expect(r.identifiers === null).toBe(r.identifier_kinds.length === 0);
    }
    // Verified means gone.
    const verified = rows.filter((r) => r.status === 'verified');
    expect(verified.length + failed.length).toBe(REQUESTS);
    for (const r of verified) expect((await simApi(world.sim, 'GET', `/profiles/${r.profile_id}`)).status, `profile of request ${r.id}`).toBe(404);

    // Exactly one certificate per verified request, none ever issued twice, none for a failed one.
    const certs = await world.db.db
      .selectFrom('erasure_certificates')
      .select(['request_id', (eb) => eb.fn.countAll<string>().as('all'), (eb) => eb.fn.count<string>('id').filterWhere('superseded_at', 'is', null).as('current')])
      .where('request_id', 'in', ids)
      .groupBy('request_id')
      .execute();
    expect(certs).toHaveLength(verified.length);
    expect(certs.filter((c) => Number(c.all) !== 1 || Number(c.current) !== 1)).toEqual([]);
    expect(new Set(certs.map((c) => c.request_id))).toEqual(new Set(verified.map((r) => r.id)));

    // The engineers were told of each failure once; no email carries an identifier.
    const outbox = await world.outbox();
    const failureMails = outbox.filter((m) => / erasure request #\d+ failed$/.test(m.subject ?? ''));
    expect(failureMails.map((m) => Number(/#(\d+)/.exec(m.subject!)![1])).filter((id) => ids.includes(id)).sort()).toEqual(failed.map((r) => r.id).sort());
    const mailText = outbox.map((m) => `${m.subject}\n${m.text ?? ''}\n${typeof m.html === 'string' ? m.html : ''}`).join('\n');
    // No log line does either, nor names a profile (log lines name request ids).
    const logText = children.map((c) => c.output()).join('');
    expect(logText).toMatch(/erasure proven/);
    for (const p of profiles) {
      for (const value of [p.email!, p.mobile_phone!]) {
        expect(mailText.includes(value), 'an email carries an identifier').toBe(false);
        expect(logText.includes(value), 'a log line carries an identifier').toBe(false);
      }
    }
    expect(logText).not.toMatch(/"profile(_id|Id)?":/);

    // The survivor drains and exits cleanly.
    expect(survivor.proc.exitCode).toBeNull();
    survivor.proc.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    // About 20 s on a quiet machine; the deadlines above leave room for a busy one.
  }, 120_000);
});
