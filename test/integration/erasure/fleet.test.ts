/**
 * Erasures through BullMQ (real Redis), two fleets as two worker processes
 * would be: a deferral is a job moved to delayed without spending an attempt;
 * a 429 pauses the tenant for both; and the tenant's platform rate limit holds
 * across both (measured at the simulator).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueueErasure } from '../../../src/app/erasures.js';
import {
  fleetEraser,
  freshProfiles,
  requestRow,
  runsOf,
  setErasureSettings,
  settledRequests,
  simConfig,
  simCount,
  simFaults,
  startErasureWorld,
  TENANT,
  type ErasureWorld,
  type FleetEraser,
  type SimProfile,
} from './support.js';
import { eventually } from '../../support/queue.js';

let world: ErasureWorld;
let profiles: SimProfile[];
let f: FleetEraser | undefined;

function take(n: number): SimProfile[] {
  if (profiles.length < n) throw new Error('out of profiles');
  return profiles.splice(0, n);
}

async function enqueueAll(list: readonly (SimProfile | string)[]): Promise<number[]> {
  const ids: number[] = [];
  for (const p of list) {
    const out = await enqueueErasure(f!.deps, { tenant: TENANT, profileId: typeof p === 'string' ? p : String(p.id) }, 'cli:test');
    expect(out.created).toBe(true);
    ids.push(out.request.id);
  }
  return ids;
}

/** Every erasure run of these requests ended, and how. */
async function runsEnded(ids: readonly number[]): Promise<{ status: string; attempts: number }[]> {
  return eventually(async () => {
    const runs = (await Promise.all(ids.map((id) => runsOf(world.db.db, id)))).flat();
    return runs.every((r) => r.status === 'succeeded' || r.status === 'failed') ? runs : undefined;
  }, 20_000, 'the erasure runs to end');
}

beforeAll(async () => {
  world = await startErasureWorld();
  profiles = await freshProfiles(world, 40);
}, 60_000);

afterEach(async () => {
  await f?.close();
  f = undefined;
  await simConfig(world.sim, { purgeLagMs: 0, rateLimit: 0 });
  await setErasureSettings(world.db.db, { platform_rate_limit: null });
  await world.db.db.deleteFrom('platform_pace').execute();
});

afterAll(async () => {
  await world?.close();
});

describe('erasures on the fleet', () => {
  it('a purge not visible yet: the job is moved to delayed and comes back, no attempt spent', async () => {
    f = await fleetEraser(world);
    await simConfig(world.sim, { purgeLagMs: 2_000 });
    const ids = await enqueueAll(take(3));
    // While it waits, its run is queued in the ledger with no error, and its job is delayed in BullMQ.
    const waiting = await eventually(
      async () => {
        if ((await requestRow(world.db.db, ids[0]!)).verify_tries === 0) return undefined;
        const run = (await runsOf(world.db.db, ids[0]!))[0]!;
        const job = await f!.fleets[0]!.queues.queue('erasure').getJob(run.idempotency_key);
        return run.status === 'queued' && (await job?.getState()) === 'delayed' ? run : undefined;
      },
      10_000,
      'a deferred verification',
    );
    expect(waiting).toMatchObject({ status: 'queued', attempts: 1, error: null });
    await settledRequests(world.db.db, ids, 30_000);
    for (const id of ids) {
      const row = await requestRow(world.db.db, id);
      expect(row.status).toBe('verified');
      expect(row.verify_tries).toBeGreaterThanOrEqual(1);
    }
    for (const run of await runsEnded(ids)) expect(run).toMatchObject({ status: 'succeeded', attempts: 1 });
  }, 40_000);

  it('a 429 with a long Retry-After holds both fleets: one 429, every run deferred and back, none spending an attempt, no unknown purge call', async () => {
    f = await fleetEraser(world);
    const before = simCount(world.sim, 429);
    await simFaults(world.sim, [{ status: 429, retryAfter: 6 }]);
    // Half held by the platform, half never held: each must end as what it is.
    const ids = await enqueueAll([...take(4), '660001', '660002', '660003', '660004']);
    await settledRequests(world.db.db, ids, 30_000);
    const rows = await Promise.all(ids.map((id) => requestRow(world.db.db, id)));
    expect(rows.map((r) => r.status)).toEqual(['verified', 'verified', 'verified', 'verified', 'not_found', 'not_found', 'not_found', 'not_found']);
    for (const r of rows) expect(r.purge_answers.filter((a) => a === 'unknown')).toEqual([]);
    expect(simCount(world.sim, 429) - before).toBe(1);
    for (const run of await runsEnded(ids)) expect(run).toMatchObject({ status: 'succeeded', attempts: 1 });
  }, 40_000);

  it('the tenant’s platform rate limit holds across both fleets: never more than R calls a second at the simulator, no 429', async () => {
    const R = 10;
    f = await fleetEraser(world, { workers: 2, concurrency: 10 });
    await setErasureSettings(world.db.db, { platform_rate_limit: R });
    // The platform enforces the same rate: any burst over it would answer 429.
    await simConfig(world.sim, { rateLimit: R });
    const before429 = simCount(world.sim, 429);
    const totalBefore = world.sim.stats().total;
    const samples: [number, number][] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push([performance.now(), world.sim.stats().total]);
        await sleep(25);
      }
    })();
    const started = performance.now();
    const ids = await enqueueAll(take(12));
    await settledRequests(world.db.db, ids, 60_000);
    const elapsedMs = performance.now() - started;
    sampling = false;
    await sampler;
    const calls = world.sim.stats().total - totalBefore;
    // Per request: the purge, the profile, its transactions.
    expect(calls).toBeGreaterThanOrEqual(36);
    expect(simCount(world.sim, 429) - before429).toBe(0);
    // Paced calls cannot all fit in less than (calls - 1) / R seconds.
    expect(elapsedMs).toBeGreaterThanOrEqual(((calls - 1) / R) * 1000 * 0.9);
    // The most calls in any one-second window the sampler saw: R, with room for sampling jitter.
    let most = 0;
    for (let i = 0, j = 0; i < samples.length; i++) {
      while (samples[i]![0] - samples[j]![0] > 1000) j++;
      most = Math.max(most, samples[i]![1] - samples[j]![1]);
    }
    console.log(`erasure pacing: ${calls} platform calls in ${Math.round(elapsedMs)} ms at R=${R}; most in one second: ${most}`);
    expect(most).toBeLessThanOrEqual(Math.ceil(R * 1.5));
    for (const id of ids) expect((await requestRow(world.db.db, id)).status).toBe('verified');
  }, 60_000);
});
